using TorchSharp;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// Plain reference for the causal NSM: the same parameters, evaluated one token at a time with
/// explicit lists of past keys, an explicit window of visible positions, one softmax over the
/// concatenated local and slot logits, and (token router) the write accumulated token by token.
/// No chunk batching, padding of windows or log-sum-exp merging. Both causal forms: with
/// write_source = "output" a chunk's outputs are written and the slots communicate after each
/// write; with "input" a chunk's inputs are written and tokens read the communicated view of the
/// slots, which the recurrence never sees. Slow; tests compare the fast paths against it on
/// outputs and gradients.
/// </summary>
internal static class NsmReference
{
    /// <summary>tokens: (B, N) (or (B, N, F) features) -> logits (B, N, C) of a causal per-token NSM.</summary>
    public static Tensor Forward(NsmModel model, Tensor input)
    {
        if (!model.IsCausal) throw new ArgumentException("the reference covers the causal per-token model");
        if (model.IsHybrid) throw new ArgumentException("the reference covers stacks of NSM layers only (no model.layer_pattern with T or L)");
        if (model.Layers.Any(l => l.Memory is not null)) throw new ArgumentException("the reference covers NSM layers without external memory (model.memory_rows = 0); the memory has its own reference in the tests");
        using var scope = NewDisposeScope();
        var x = model.Embed.forward(input);                                       // (B, N, d)
        List<Tensor>? lowerSlots = null;
        Tensor? lowerActive = null;
        foreach (var layer in model.Layers)
        {
            var (y, chunkSlots) = Layer(layer, x, lowerSlots is null ? null : (lowerSlots, lowerActive!));
            x = y;
            lowerSlots = model.Layers.Any(l => l.TakesLowerSlots) ? chunkSlots : null;
            lowerActive = layer.Manager.ActiveMask;
        }
        return model.Head.PerToken(model.FinalNorm.forward(x)).MoveToOuterDisposeScope();
    }

    /// <summary>One layer, token by token. x: (B, N, d). Returns (B, N, d) and the slots after each complete chunk.</summary>
    private static (Tensor Output, List<Tensor> ChunkSlots) Layer(NsmLayer layer, Tensor x, (List<Tensor> Slots, Tensor Active)? lower)
    {
        var (b, n) = (x.shape[0], x.shape[1]);
        var c = layer.ChunkSize;
        var w = layer.Window;
        var fromInput = layer.WriteSource == NsmWriteSource.Input;
        var write = layer.WritePath();
        var context = layer.Manager.Context();
        var slots = layer.Manager.InitialSlots(b);
        var cells = layer.HasCells ? zeros_like(slots) : null;
        var keys = new List<Tensor>();
        var values = new List<Tensor>();
        var outputs = new List<Tensor>();
        var written = new List<Tensor>();                                         // the rows the write takes, (B, 1, d) each
        var chunkRows = new List<Tensor>();
        var chunkSlots = new List<Tensor>();
        for (long t = 0; t < n; t++)
        {
            var xt = x.narrow(1, t, 1);                                           // (B, 1, d)
            var ht = layer.AttnNorm.forward(xt);
            var qt = NsmOps.SplitHeads(layer.QueryProj.forward(ht), layer.NumHeads);  // (B, h, 1, hd)
            var scale = 1.0 / Math.Sqrt(qt.shape[^1]);
            var (stateKeys, stateValues) = layer.Read.KeysValues(fromInput ? write.Communicate(slots, context) : slots);  // (B, h, s, hd)
            var stateLogits = qt.matmul(stateKeys.transpose(-1, -2)) * scale + layer.Manager.Context().LogitBias;   // (B, h, 1, s)

            Tensor attended;
            if (layer.Local is { } local)
            {
                var (kt, vt) = local.Project(ht, t);
                keys.Add(kt);
                values.Add(vt);
                var chunkStart = t - t % c;
                var first = Math.Max(0, chunkStart - w);
                var visibleKeys = cat(keys.GetRange((int)first, (int)(t - first + 1)), 2);     // (B, h, V, hd)
                var visibleValues = cat(values.GetRange((int)first, (int)(t - first + 1)), 2);
                var localLogits = local.Rotary.Apply(qt, t).matmul(visibleKeys.transpose(-1, -2)) * scale;  // (B, h, 1, V)
                if (layer.Fusion.Mode == NsmFusion.Joint)
                {
                    var weights = cat([localLogits, stateLogits], -1).softmax(-1);
                    var v = visibleKeys.shape[2];
                    attended = weights.narrow(-1, 0, v).matmul(visibleValues) + weights.narrow(-1, v, stateKeys.shape[2]).matmul(stateValues);
                }
                else
                {
                    var localOut = localLogits.softmax(-1).matmul(visibleValues);
                    var stateOut = stateLogits.softmax(-1).matmul(stateValues);
                    // Gated fusion ignores the log-normalisers.
                    attended = layer.Fusion.Combine(ht, (localOut, localLogits.logsumexp(-1, false)), (stateOut, stateLogits.logsumexp(-1, false))).Output;
                }
            }
            else
            {
                attended = stateLogits.softmax(-1).matmul(stateValues);
            }
            var yt = xt + layer.OutProj.forward(NsmOps.MergeHeads(attended));
            yt = yt + layer.Ffn.forward(layer.FfnNorm.forward(yt));
            outputs.Add(yt);
            written.Add(fromInput ? xt : yt);
            chunkRows.Add(written[^1]);

            if (chunkRows.Count == c)
            {
                (Tensor, Tensor)? lowerChunk = lower is { } l ? (l.Slots[chunkSlots.Count], l.Active) : null;
                (slots, cells) = WriteChunk(layer, chunkRows, History(layer, written, t + 1 - c), slots, cells, lowerChunk);
                chunkSlots.Add(fromInput ? write.Communicate(slots, context) : slots);
                chunkRows.Clear();
            }
        }
        return (cat(outputs, 1), chunkSlots);
    }

    /// <summary>The k-1 written rows before position start, zeros before position 0: (B, k-1, d), or null without a write convolution.</summary>
    private static Tensor? History(NsmLayer layer, List<Tensor> outputs, long start)
    {
        var lags = layer.WriteKernel - 1;
        if (lags == 0) return null;
        var rows = new List<Tensor>();
        for (var i = start - lags; i < start; i++)
            rows.Add(i < 0 ? zeros_like(outputs[0]) : outputs[(int)i]);   // (B, 1, d) each
        return cat(rows, 1);
    }

    /// <summary>Writes one complete chunk; the token router's sums are accumulated row by row.</summary>
    private static (Tensor Slots, Tensor? Cells) WriteChunk(NsmLayer layer, List<Tensor> rows, Tensor? history, Tensor slots, Tensor? cells, (Tensor Slots, Tensor Active)? lower)
    {
        var context = layer.Manager.Context();
        var write = layer.WritePath();
        var (inputs, valid) = write.WriteInputs(cat(rows, 1), null, 0, lower, history);   // (B, n, d)
        if (write.Writer is not TokenRouter router)
        {
            var (slotCandidate, slotMass) = write.Writer.Write(inputs, valid, slots, context);
            return Update(layer, write, slots, cells, slotCandidate, slotMass, context);
        }
        Tensor? weighted = null, mass = null;
        var scaleBySlot = context.WriteScale;                                     // (s)
        for (long t = 0; t < inputs.shape[1]; t++)
        {
            var row = inputs.narrow(1, t, 1);                                     // (B, 1, d)
            var r = router.Probabilities(row, context).squeeze(1) * scaleBySlot;   // (B, heads, s)
            if (valid is not null) r = r * valid.narrow(1, t, 1).to(r.dtype).unsqueeze(-1);
            var v = router.Values(row).squeeze(1);                                // (B, heads, dh)
            var contribution = r.unsqueeze(-1) * v.unsqueeze(2);                  // (B, heads, s, dh)
            weighted = weighted is null ? contribution : weighted + contribution;
            mass = mass is null ? r : mass + r;
        }
        var candidate = weighted! / (mass!.unsqueeze(-1) + 1e-6);                 // (B, heads, s, dh)
        var (b, heads, s, dh) = (candidate.shape[0], candidate.shape[1], candidate.shape[2], candidate.shape[3]);
        var merged = candidate.transpose(1, 2).reshape(b, s, heads * dh);         // (B, s, d)
        var perChannel = mass.transpose(1, 2).repeat_interleave(dh, dim: 2);      // (B, s, d)
        return Update(layer, write, slots, cells, merged, perChannel, context);
    }

    /// <summary>The slot update of a write: with communication in the sequential form, without it in the parallel form.</summary>
    private static (Tensor Slots, Tensor? Cells) Update(NsmLayer layer, StateWritePath write, Tensor slots, Tensor? cells, Tensor candidate, Tensor mass, SlotContext context) =>
        write.Propagate(slots, cells, candidate, mass, context, communicate: layer.WriteSource == NsmWriteSource.Output);
}
