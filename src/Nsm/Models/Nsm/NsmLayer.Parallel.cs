using TorchSharp;
using static TorchSharp.torch;
using Nsm.Modules;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// The parallel form of the causal layer (write_source = "input", docs/design.md section 2b).
/// The slots are written from the layer's input rather than from each chunk's outputs, so nothing
/// but the slot update waits for the chunk before:
/// 1. local attention, routing and write candidates of every chunk of the call in one batched pass;
/// 2. the slot recurrence S_k = Clip(P(S_{k-1}, U_k, m_k)), one small step per chunk on (B, s, d);
/// 3. communication on the read view of every state at once, (B·(K+1), s, d); it does not feed
///    back into the recurrence;
/// 4. the tokens of chunk k read the view of S_{k-1}, all chunks in one batched attention, and the
///    fusion, out projection and FFN run over the whole call.
/// The carried state is the sequential form's, with the open chunk's and the history's rows
/// being layer inputs instead of outputs.
/// </summary>
public sealed partial class NsmLayer
{
    private (Tensor Output, NsmLayerState State, List<Tensor> ChunkSlots) ForwardParallel(Tensor x, Tensor? valid, NsmLayerState state, (IReadOnlyList<Tensor> Slots, Tensor Active)? lower)
    {
        using var scope = NewDisposeScope();
        var (b, n) = (x.shape[0], x.shape[1]);
        var p = state.Partial.shape[1];
        if (p != state.Position % chunk) throw new ArgumentException($"layer state holds {p} partial tokens at position {state.Position}; expected {state.Position % chunk}");
        var grid = new ChunkGrid(p, n, chunk);
        var (h, q) = Queries(x);                                                  // (B, n, d), (B, h, n, hd)
        var localResult = local?.Causal(h, q, valid, state.Keys!, state.Values!, state.Position, grid, window);
        var write = WritePath();
        var context = manager.Context() with { Probe = Probe };
        Probe?.BeginCall(b, lower is { } below && TakesLowerSlots && below.Slots.Count > 0 ? below.Slots[0].shape[1] : 0);
        var usage = training && !RecordsNoUsage ? new UsageAccumulator() : null;

        // The rows of the open chunk (from the state) and the new ones, from the chunk boundary on.
        var rows = p > 0 ? cat([state.Partial, x], 1) : x;                        // (B, p + n, d)
        var rowValid = valid is null || p == 0 ? valid : cat([ones([b, p], ScalarType.Bool, x.device), valid], 1);
        var whole = (p + n) / chunk;                                              // K: chunks this call completes
        var slotCount = state.Slots.shape[1];
        List<Tensor> states = [];
        Tensor? cells = null, history = null;
        // Steps 1-3 on the slot side: the read view of S_in, S_0 .. S_{K-1} (group g of the call reads view g).
        Tensor SlotViews(Tensor r, Tensor? rv, bool rerun)
        {
            // The rerun in the backward pass comes after this call's scope is gone: it makes its own context.
            var slotContext = rerun ? manager.Context() with { Probe = Probe } : context;
            (states, cells, history) = WriteWholeChunks(write, r, rv, whole, state, lower, slotContext, rerun ? null : usage);
            return write.Communicate(stack(states, 1).view(b * (whole + 1), slotCount, dim), slotContext)
                .view(b, whole + 1, slotCount, dim);                             // (B, K + 1, s, d)
        }
        // Under model.recompute the slot path is a checkpoint of its own (rows in, views out); the
        // states, cells and history it leaves are those of its first run, without a graph (a
        // recomputed layer passes only its output on).
        var views = CheckpointsSlotPath && memory is null && lower is null
            ? Recompute.Run(SlotViews, rows, rowValid, parameters())
            : SlotViews(rows, rowValid, false);
        foreach (var written in states.Skip(1)) Probe?.AddSlots(written);
        var (memoryState, memoryViews) = MemoryOverChunks(CheckMemory(state), views, rowValid, whole, grid.Groups, context);
        var queries = nn.functional.pad(q, [0, 0, grid.Partial, grid.Tail])
            .view(b, numHeads, grid.Groups, chunk, headDim);                      // (B, h, G, c, hd)
        var (readSet, readBias) = ReadSet(views.narrow(1, 0, grid.Groups), memoryViews, context.LogitBias);
        var (slotOut, slotLse, readWeights) = state_read.ReadGroups(queries, readSet, readBias);
        var slotWeights = SlotColumns(readWeights, slotCount);                   // (B, h, G, c, s)
        var slotPart = (grid.CallRows(slotOut), grid.CallRows(slotLse.unsqueeze(-1)).squeeze(-1));  // (B, h, n, hd), (B, h, n)
        (Tensor, Tensor)? localPart = localResult is { } lr
            ? (grid.CallRows(lr.Output), grid.CallRows(lr.LogSumExp.unsqueeze(-1)).squeeze(-1))
            : null;
        var (output, share) = Blocks(x, h, localPart, slotPart);
        var callWeights = grid.CallRows(slotWeights);                            // (B, h, n, s)
        usage?.AddRead(callWeights, share);
        Probe?.AddRead(callWeights, share);
        usage?.Record(manager, usageDecay);

        var newPosition = state.Position + n;
        var partial = rows.narrow(1, whole * chunk, p + n - whole * chunk);      // (B, open rows, d)
        Tensor? newKeys = null, newValues = null;
        if (localResult is { } r) (newKeys, newValues) = LocalAttention.Cache(r.Keys, r.Values, newPosition, partial.shape[1], window);
        var slots = states[^1];
        var newState = new NsmLayerState(slots.alias(), cells?.alias(), newKeys, newValues, partial.clone(), history?.clone(), newPosition, Fresh(memoryState));
        foreach (var (_, t) in newState.Named()) t.MoveToOuterDisposeScope();
        var chunkSlots = whole > 0 ? views.narrow(1, 1, whole).unbind(1).ToList() : [];
        foreach (var t in chunkSlots) t.MoveToOuterDisposeScope();
        return (output.MoveToOuterDisposeScope(), newState, chunkSlots);
    }

    /// <summary>
    /// The memory steps of the parallel form, one per completed chunk, driven by the read views
    /// (B, K + 1, s, d) of S_0 .. S_{K-1} (view k + 1 after chunk k). rowValid: (B, p + n) or null.
    /// Returns the memory after the last chunk and the memory rows (B, G, e, d) that group g reads
    /// (the memory before the call for group 0, after chunk g - 1 for the others); both null
    /// without a memory.
    /// </summary>
    private (NtmMemoryState? State, Tensor? Rows) MemoryOverChunks(NtmMemoryState? state, Tensor views, Tensor? rowValid, long whole, long groups, SlotContext context)
    {
        if (state is null) return (null, null);
        var written = rowValid?.narrow(1, 0, whole * chunk).view(views.shape[0], whole, chunk).any(2).unbind(1);   // K x (B), or null
        var rows = new List<Tensor> { memory!.TokenRows(state) };
        for (var k = 0; k < whole; k++)
        {
            state = memory.Step(state, views.select(1, k + 1), context.LogitBias, written?[k]);
            if (rows.Count < groups) rows.Add(memory.TokenRows(state));
        }
        return (state, stack(rows, 1));
    }

    /// <summary>
    /// Steps 1-2 of the parallel form, over the write path: the write of the K whole chunks among rows (B, p + n, d)
    /// (validity (B, p + n) or null) and the slot recurrence over them, from the state's slots
    /// and cells. lower: the lower layer's slots after each of the K chunks. Returns the slots
    /// before and after each chunk, S_in, S_0 .. S_{K-1} (K + 1 tensors (B, s, d)), the cells
    /// after the last chunk and the write-convolution history for the next chunk.
    /// </summary>
    private (List<Tensor> States, Tensor? Cells, Tensor? History) WriteWholeChunks(StateWritePath write, Tensor rows, Tensor? rowValid, long whole, NsmLayerState state, (IReadOnlyList<Tensor> Slots, Tensor Active)? lower, SlotContext context, UsageAccumulator? usage)
    {
        var states = new List<Tensor> { state.Slots };
        if (whole == 0) return (states, state.Cells, state.History);
        var b = rows.shape[0];
        var chunkRows = rows.narrow(1, 0, whole * chunk);                         // (B, K·c, d)
        var chunkValid = rowValid?.narrow(1, 0, whole * chunk);
        (Tensor, Tensor)? lowerSlots = lower is { } l ? (stack(l.Slots.Take((int)whole), 1), l.Active) : null;   // (B, K, s', d)
        var (inputs, inputValid) = write.ChunkInputs(chunkRows, chunkValid, state.History, lowerSlots);          // (B·K, c', d)
        var written = chunkValid?.view(b, whole, chunk).any(2).unbind(1);        // K x (B), or null
        var (slots, cells) = (state.Slots, state.Cells);
        if (!write.Writer.ReadsSlots)
        {
            // Every chunk's candidate and mass in one call, chunk k of sample b as batch row b·K + k.
            // The propagator's input-side products too: only the slot side is left for the loop.
            var (candidate, mass) = write.Writer.Write(inputs, inputValid, slots, context);                   // (B·K, s, d)
            usage?.AddWrite(mass);
            var terms = write.InputTerms(candidate, mass);                                                     // (B·K, s, e)
            var perChunk = terms.view(b, whole, terms.shape[1], terms.shape[2]).unbind(1);                    // K x (B, s, e)
            for (var k = 0; k < whole; k++)
            {
                (slots, cells) = write.Recur(slots, cells, perChunk[k], written?[k]);
                states.Add(slots);
            }
        }
        else
        {
            var rowsPerChunk = inputs.shape[1];
            var chunkInputs = inputs.view(b, whole, rowsPerChunk, dim).unbind(1);
            var chunkInputValid = inputValid?.view(b, whole, rowsPerChunk).unbind(1);
            for (var k = 0; k < whole; k++)
            {
                var (candidate, mass) = write.Writer.Write(chunkInputs[k], chunkInputValid?[k], slots, context);
                usage?.AddWrite(mass);
                (slots, cells) = write.Recur(slots, cells, write.InputTerms(candidate, mass), written?[k]);
                states.Add(slots);
            }
        }
        return (states, cells, write.NextHistory(state.History, chunkRows));
    }

}
