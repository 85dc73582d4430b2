using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Modules;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// One Neural State Machine layer: tokens talk to s persistent state slots and to a local window
/// instead of to every other token.
///
/// Causal mode (<see cref="Forward"/>): the sequence is cut into chunks of c tokens on a grid
/// fixed by absolute position. For chunk k, every token reads S_{k-1} jointly with its local
/// window, x = x + W_o·Read(Norm(x)), then x = x + FFN(Norm(x)); the chunk's outputs are then
/// written to the slots (routing, propagation, communication) giving S_k. Tokens never read
/// S_k, which makes the layer causal and lets the c tokens of a chunk run in parallel. The local
/// attention of all chunks runs as one batched operation before the chunk loop; the loop does
/// per chunk a handful of batched matmuls. That is the sequential form (write_source =
/// "output"). The parallel form (write_source = "input", NsmLayer.Parallel.cs) writes the
/// layer's input instead, so only the slot update runs per chunk. Any number of tokens can be fed
/// per call with a carried <see cref="NsmLayerState"/>, with the same results as one call.
///
/// Non-causal mode (<see cref="Encode"/>): all tokens are written to the slots at once, the
/// slots propagate and communicate, then every token reads the updated slots jointly with a
/// bidirectional local window.
///
/// The layer holds every parameter (their field names are the state-dict names) and runs the
/// steps: the local read is <see cref="LocalAttention"/>, the slot read <see cref="StateRead"/>,
/// the write <see cref="StateWritePath"/>.
/// </summary>
public sealed partial class NsmLayer : nn.Module
{
    private readonly RmsNorm attn_norm;
    private readonly Linear q_proj;
    private readonly LocalAttention? local;
    private readonly StateRead state_read;
    private readonly HybridFusion fusion;
    private readonly Linear out_proj;
    private readonly RmsNorm ffn_norm;
    private readonly SwiGlu ffn;
    private readonly Dropout dropout;
    // The parts of the write, used through WritePath(). They are fields of the layer, not of a
    // write module, so that their state-dict names stay layers.N.write_norm, layers.N.writer, ...
    private readonly RmsNorm write_norm;
    private readonly Parameter? write_position;
    private readonly Parameter? write_conv;
    private readonly RmsNorm? cross_norm;
    private readonly StateWriter writer;
    private readonly StatePropagator propagator;
    private readonly StateCommunication? communication;
    private readonly StateManager manager;
    private readonly NtmMemory? memory;

    private readonly long dim;
    private readonly long numHeads;
    private readonly long headDim;
    private readonly long chunk;
    private readonly long window;
    private readonly double usageDecay;
    private readonly double dropoutRate;
    private readonly NsmWriteSource writeSource;

    /// <param name="config">Model settings (the NSM's in <see cref="ModelConfig.Nsm"/>).</param>
    /// <param name="takesLowerSlots">Whether this layer's write also takes the slots of the layer below (cross-layer states).</param>
    public NsmLayer(ModelConfig config, bool takesLowerSlots) : base(nameof(NsmLayer))
    {
        config.Nsm.Validate(config);
        dim = config.DModel;
        numHeads = config.NumHeads;
        headDim = dim / numHeads;
        chunk = config.Nsm.ChunkSize;
        window = config.Nsm.Window;
        usageDecay = config.Nsm.UsageDecay;
        dropoutRate = config.Dropout;
        writeSource = config.Nsm.WriteSource;
        var (capacity, active) = (config.Nsm.Capacity, config.Nsm.InitiallyActive);    // validated above

        attn_norm = new RmsNorm(dim);
        q_proj = nn.Linear(dim, dim, hasBias: false);
        if (config.Nsm.LocalAttention) local = new LocalAttention(dim, numHeads, config.RopeBase);
        state_read = new StateRead(dim, numHeads);
        fusion = new HybridFusion(dim, numHeads, config.Nsm.Fusion);
        out_proj = nn.Linear(dim, dim, hasBias: false);
        ffn_norm = new RmsNorm(dim);
        ffn = new SwiGlu(dim, SwiGlu.HiddenWidth(dim, config.FfnMult));
        dropout = nn.Dropout(config.Dropout);

        write_norm = new RmsNorm(dim);
        if (config.Nsm.WritePositions) write_position = nn.Parameter(randn(chunk, dim) * 0.5);
        if (config.Nsm.WriteConv > 1)
        {
            // Row i weighs the token i steps back: 1 for the token itself, random for earlier ones,
            // so the previous tokens reach the write from the first step on.
            var kernel = randn(config.Nsm.WriteConv, dim) * 0.5;
            kernel[0] = ones(dim);
            write_conv = nn.Parameter(kernel);
        }
        if (takesLowerSlots) cross_norm = new RmsNorm(dim);
        writer = config.Nsm.Router switch
        {
            NsmRouter.Token => new TokenRouter(dim, capacity, config.Nsm.RouterHeads, config.Nsm.RouterTemperature, config.Nsm.RouterTopK, config.Nsm.RouterNull, config.Nsm.RouterFloor),
            NsmRouter.Slot => new SlotRouter(dim, config.Nsm.RouterHeads, config.Nsm.RouterNull),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Nsm.Router, "model.router"),
        };
        propagator = StatePropagator.Create(config.Nsm.Propagator, dim);
        communication = config.Nsm.Communication switch
        {
            NsmCommunication.None => null,
            NsmCommunication.Dense => new StateCommunication(dim, numHeads, 0, StateFfnHidden(config)),
            NsmCommunication.TopK => new StateCommunication(dim, numHeads, config.Nsm.CommunicationTopK, StateFfnHidden(config)),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Nsm.Communication, "model.communication"),
        };
        manager = new StateManager(capacity, active, dim, config.Nsm.ImportanceInit);
        if (config.Nsm.MemoryRows > 0)
            memory = new NtmMemory(dim, config.Nsm.MemoryRows, config.Nsm.MemoryWidth, config.Nsm.MemoryWritesPerChunk, config.Nsm.MemoryReadsPerChunk);
        RegisterComponents();
    }

    /// <summary>Slot capacity and initially active slots from num_states, max_states and initial_states.</summary>
    public static (int Capacity, int Active) SlotCounts(ModelConfig config)
    {
        config.Nsm.Validate(config);
        return (config.Nsm.Capacity, config.Nsm.InitiallyActive);
    }

    private static long StateFfnHidden(ModelConfig config) =>
        config.Nsm.StateFfnMult > 0 ? SwiGlu.HiddenWidth(config.DModel, config.Nsm.StateFfnMult) : 0;

    /// <summary>The slot resources of this layer (importance, active mask, usage, pruning).</summary>
    public StateManager Manager => manager;

    /// <summary>The external memory (memory-augmented NSM), or null.</summary>
    public NtmMemory? Memory => memory;

    /// <summary>
    /// Records routing, reads and slots of the passes that follow while set (see
    /// <see cref="SlotProbe"/>); null (the default) records nothing.
    /// </summary>
    public SlotProbe? Probe { get; set; }

    /// <summary>Chunk length c.</summary>
    public long ChunkSize => chunk;

    /// <summary>Local window w.</summary>
    public long Window => window;

    /// <summary>Attention heads of the token and slot reads.</summary>
    public long NumHeads => numHeads;

    /// <summary>Whether the propagator carries LSTM cells beside the slots.</summary>
    public bool HasCells => propagator.HasCells;

    /// <summary>Which rows the causal form writes: the chunk outputs (sequential form) or the layer input (parallel form).</summary>
    public NsmWriteSource WriteSource => writeSource;

    /// <summary>Whether the layer has local token attention.</summary>
    public bool HasLocalAttention => local is not null;

    /// <summary>Kernel of the write convolution (1 = none).</summary>
    public long WriteKernel => write_conv?.shape[0] ?? 1;

    /// <summary>Whether the layer's write takes the slots of the layer below.</summary>
    public bool TakesLowerSlots => cross_norm is not null;

    internal RmsNorm AttnNorm => attn_norm;
    internal Linear QueryProj => q_proj;
    internal LocalAttention? Local => local;
    internal StateRead Read => state_read;
    internal HybridFusion Fusion => fusion;
    internal Linear OutProj => out_proj;
    internal RmsNorm FfnNorm => ffn_norm;
    internal SwiGlu Ffn => ffn;

    /// <summary>
    /// The write path over this layer's write modules and parameters as they are now. Made per
    /// call, not kept: Module.to() replaces the Parameter fields write_conv and write_position.
    /// </summary>
    internal StateWritePath WritePath() =>
        new(write_norm, write_position, write_conv, cross_norm, writer, propagator, communication, dim, chunk);

    /// <summary>The state before any token: initial slots (B, s, d), zero cells, empty caches.</summary>
    public NsmLayerState InitialState(long batch)
    {
        var device = q_proj.weight!.device;
        var slots = manager.InitialSlots(batch);
        var cells = propagator.HasCells ? zeros_like(slots) : null;
        Tensor? keys = null, values = null;
        if (local is not null)
        {
            keys = zeros([batch, numHeads, 0, headDim], device: device);
            values = zeros([batch, numHeads, 0, headDim], device: device);
        }
        return new NsmLayerState(slots, cells, keys, values, zeros([batch, 0, dim], device: device), WritePath().InitialHistory(batch, device), 0, memory?.InitialState(batch));
    }

    /// <summary>
    /// Causal forward over n >= 1 new tokens after the state.
    /// x: (B, n, d); valid: (B, n) bool (true = real token) or null; lower: the slots (B, s', d)
    /// of the layer below after each chunk this call completes, with its active mask (s'), when
    /// cross-layer states are on. Returns the outputs (B, n, d), the new state, and the slots
    /// after each chunk completed in this call (for the layer above).
    /// </summary>
    public (Tensor Output, NsmLayerState State, List<Tensor> ChunkSlots) Forward(Tensor x, Tensor? valid, NsmLayerState state, (IReadOnlyList<Tensor> Slots, Tensor Active)? lower = null) =>
        ForwardForm(x, valid, state, lower);

    /// <summary>
    /// The training forward from the initial state, run again in the backward pass when the model
    /// recomputes its layers (model.recompute): the rerun records no slot usage, which the first run did.
    /// </summary>
    internal Tensor Rerunnable(Tensor x, Tensor? valid, bool rerun)
    {
        (RecordsNoUsage, CheckpointsSlotPath) = (rerun, true);
        try { return ForwardForm(x, valid, InitialState(x.shape[0]), null).Output; }
        finally { (RecordsNoUsage, CheckpointsSlotPath) = (false, false); }
    }

    private bool RecordsNoUsage { get; set; }

    /// <summary>
    /// Inside <see cref="Rerunnable"/>: the parallel form recomputes its slot path (write,
    /// recurrence, communication) apart from the token path, so that the layer's rerun in the
    /// backward pass holds the intermediates of one of the two at a time.
    /// </summary>
    private bool CheckpointsSlotPath { get; set; }

    private (Tensor Output, NsmLayerState State, List<Tensor> ChunkSlots) ForwardForm(Tensor x, Tensor? valid, NsmLayerState state, (IReadOnlyList<Tensor> Slots, Tensor Active)? lower) =>
        writeSource == NsmWriteSource.Input ? ForwardParallel(x, valid, state, lower) : ForwardSequential(x, valid, state, lower);

    /// <summary>The sequential form of <see cref="Forward"/> (write_source = "output"): one loop iteration per chunk.</summary>
    private (Tensor Output, NsmLayerState State, List<Tensor> ChunkSlots) ForwardSequential(Tensor x, Tensor? valid, NsmLayerState state, (IReadOnlyList<Tensor> Slots, Tensor Active)? lower)
    {
        using var scope = NewDisposeScope();
        var p = state.Partial.shape[1];
        if (p != state.Position % chunk) throw new ArgumentException($"layer state holds {p} partial tokens at position {state.Position}; expected {state.Position % chunk}");
        var grid = new ChunkGrid(p, x.shape[1], chunk);
        var (h, q) = Queries(x);                                                  // (B, n, d), (B, h, n, hd)
        var localResult = local?.Causal(h, q, valid, state.Keys!, state.Values!, state.Position, grid, window);

        var write = WritePath();
        var (slots, cells, partial, history) = (state.Slots, state.Cells, state.Partial, state.History);
        var memoryState = CheckMemory(state);
        var memoryRows = memoryState is null ? null : memory!.TokenRows(memoryState);   // (B, m + R, d) or null
        var context = manager.Context() with { Probe = Probe };
        Probe?.BeginCall(x.shape[0], lower is { } below && TakesLowerSlots && below.Slots.Count > 0 ? below.Slots[0].shape[1] : 0);
        var outputs = new List<Tensor>();
        var chunkSlots = new List<Tensor>();
        var usage = training && !RecordsNoUsage ? new UsageAccumulator() : null;
        // Cut the new tokens into their chunk groups once: one split node per tensor, whose backward
        // concatenates the chunks' gradients in O(N). (Cutting each chunk with narrow instead costs a
        // full-size gradient buffer per chunk, O(N²/c) in time and traffic.)
        var counts = grid.Counts();
        var xGroups = x.split(counts, 1);                                         // G x (B, count, d)
        var hGroups = h.split(counts, 1);
        var qGroups = q.split(counts, 2);                                         // G x (B, h, count, hd)
        var localOutGroups = localResult?.Output.unbind(2);                         // G x (B, h, c, hd)
        var localLseGroups = localResult?.LogSumExp.unbind(2);                      // G x (B, h, c)
        for (long g = 0; g < grid.Groups; g++)
        {
            (Tensor, Tensor)? localPart = localOutGroups is null ? null
                : (Rows(localOutGroups[g], grid.First(g), counts[g]), Rows(localLseGroups![g], grid.First(g), counts[g]));
            var (rows, slotWeights, slotShare) = ReadRows(xGroups[g], hGroups[g], qGroups[g], localPart, slots, memoryRows, context);
            outputs.Add(rows);
            usage?.AddRead(slotWeights, slotShare);
            Probe?.AddRead(slotWeights, slotShare);

            var chunkRows = g == 0 && p > 0 ? cat([partial, rows], 1) : rows;     // (B, rows of this chunk so far, d)
            if (grid.End(g) < chunk)
            {
                partial = chunkRows;
                continue;
            }
            (Tensor, Tensor)? lowerChunk = lower is { } l ? (l.Slots[chunkSlots.Count], l.Active) : null;
            Tensor mass;
            var chunkValid = ChunkValid(valid, grid, g);
            (slots, cells, mass) = write.WriteChunk(chunkRows, chunkValid, 0, slots, cells, lowerChunk, context, history);
            usage?.AddWrite(mass);
            if (memoryState is not null)
            {
                memoryState = memory!.Step(memoryState, slots, context.LogitBias, chunkValid?.any(1));
                memoryRows = memory.TokenRows(memoryState);
            }
            Probe?.AddSlots(slots);
            chunkSlots.Add(slots);
            history = write.NextHistory(history, chunkRows);
            partial = zeros([x.shape[0], 0, dim], device: x.device);
        }
        usage?.Record(manager, usageDecay);

        var newPosition = state.Position + grid.Count;
        Tensor? newKeys = null, newValues = null;
        if (localResult is { } r) (newKeys, newValues) = LocalAttention.Cache(r.Keys, r.Values, newPosition, partial.shape[1], window);
        var output = cat(outputs, 1);
        // Fresh handles: callers dispose the old state, and slots without a write this call are the old tensors.
        var newState = new NsmLayerState(slots.alias(), cells?.alias(), newKeys, newValues, partial.clone(), history?.clone(), newPosition, Fresh(memoryState));
        foreach (var (_, t) in newState.Named()) t.MoveToOuterDisposeScope();
        foreach (var t in chunkSlots) t.MoveToOuterDisposeScope();
        return (output.MoveToOuterDisposeScope(), newState, chunkSlots);
    }

    /// <summary>
    /// Non-causal forward over a whole sequence. x: (B, N, d); valid: (B, N) bool or null;
    /// lower: the final slots (B, s', d) and active mask (s') of the layer below with
    /// cross-layer states. Returns the outputs (B, N, d) and the updated slots (B, s, d).
    /// </summary>
    public (Tensor Output, Tensor Slots) Encode(Tensor x, Tensor? valid, (Tensor Slots, Tensor Active)? lower = null)
    {
        using var scope = NewDisposeScope();
        var b = x.shape[0];
        var write = WritePath();
        var initial = manager.InitialSlots(b);
        var initialCells = write.HasCells ? zeros_like(initial) : null;
        var context = manager.Context() with { Probe = Probe };
        Probe?.BeginCall(b, lower is { } below && TakesLowerSlots ? below.Slots.shape[1] : 0);
        var (slots, _, mass) = write.WriteChunk(x, valid, 0, initial, initialCells, lower, context, write.InitialHistory(b, x.device));
        Probe?.AddSlots(slots);
        var memoryRows = memory?.TokenRows(memory.Step(memory.InitialState(b), slots, context.LogitBias, valid?.any(1)));

        var (h, q) = Queries(x);                                                  // (B, N, d), (B, h, N, hd)
        var localPart = local?.Bidirectional(h, q, valid, chunk, window);
        var (output, slotWeights, slotShare) = ReadRows(x, h, q, localPart, slots, memoryRows, context);
        Probe?.AddRead(slotWeights, slotShare);
        if (training)
        {
            var usage = new UsageAccumulator();
            usage.AddRead(slotWeights, slotShare);
            usage.AddWrite(mass);
            usage.Record(manager, usageDecay);
        }
        return (output.MoveToOuterDisposeScope(), slots.MoveToOuterDisposeScope());
    }

    /// <summary>The normed rows h = Norm(x) (B, n, d) and their queries (B, h, n, hd), without positions: the slots have none.</summary>
    private (Tensor H, Tensor Q) Queries(Tensor x)
    {
        var h = attn_norm.forward(x);
        return (h, NsmOps.SplitHeads(q_proj.forward(h), numHeads));
    }

    /// <summary>
    /// The read of rows x (B, n, d) and the two residual blocks after it: x + W_o·Read(h), then
    /// the FFN residual. h: Norm(x) (B, n, d); q: its queries (B, h, n, hd); local: the local
    /// attention of the rows, outputs (B, h, n, hd) and log-normalisers (B, h, n), or null;
    /// slots: (B, s, d) the slots the rows read; memoryRows: (B, e, d) the memory's rows read with
    /// them, or null. Returns the new rows (B, n, d), the weights within the slots (B, h, n, s; the
    /// memory rows' weights left out) and the share of the read that went to the slots and the
    /// memory (B, h, n, 1).
    /// </summary>
    private (Tensor Output, Tensor SlotWeights, Tensor SlotShare) ReadRows(Tensor x, Tensor h, Tensor q, (Tensor, Tensor)? local, Tensor slots, Tensor? memoryRows, SlotContext context)
    {
        var (readSet, bias) = ReadSet(slots, memoryRows, context.LogitBias);
        var (slotOut, slotLse, weights) = state_read.Read(q, readSet, bias);
        var (output, share) = Blocks(x, h, local, (slotOut, slotLse));
        return (output, SlotColumns(weights, slots.shape[^2]), share);
    }

    /// <summary>
    /// What the tokens read besides the window: the slots (..., s, d), followed by the memory's
    /// rows (..., e, d) when there are any, and the logit bias (s + e): the slots' bias, 0 for the
    /// memory rows.
    /// </summary>
    private static (Tensor Rows, Tensor Bias) ReadSet(Tensor slots, Tensor? memoryRows, Tensor slotBias)
    {
        if (memoryRows is null) return (slots, slotBias);
        var extra = memoryRows.shape[^2];
        return (cat([slots, memoryRows], -2), cat([slotBias, zeros(extra, slotBias.dtype, slotBias.device)], 0));
    }

    /// <summary>The first s columns (the slots') of read weights (..., s + e).</summary>
    private static Tensor SlotColumns(Tensor weights, long s) => weights.shape[^1] == s ? weights : weights.narrow(-1, 0, s);

    /// <summary>The state's memory, checked against this layer: null for a layer without memory; an error when one of the two lacks it.</summary>
    private NtmMemoryState? CheckMemory(NsmLayerState state)
    {
        if ((memory is null) == (state.Memory is null)) return state.Memory;
        throw new ArgumentException(memory is null
            ? "the state holds an external memory but this layer has none (model.memory_rows = 0): it was made by another NSM variant"
            : "the state holds no external memory but this layer has one (model.memory_rows > 0): it was made by another NSM variant");
    }

    /// <summary>New handles on a memory state's tensors (callers dispose the old state).</summary>
    private static NtmMemoryState? Fresh(NtmMemoryState? state) =>
        state is null ? null : new NtmMemoryState(state.Memory.alias(), state.WriteWeights.alias(), state.ReadWeights.alias());

    /// <summary>
    /// The two residual blocks of rows x (B, n, d) given their reads: x + W_o·Fuse(local, slots),
    /// then the FFN residual. h: Norm(x) (B, n, d); local: outputs (B, h, n, hd) and
    /// log-normalisers (B, h, n), or null; slotRead: the same for the slot read. Returns the new
    /// rows (B, n, d) and the share of the read that went to the slots (B, h, n, 1).
    /// </summary>
    private (Tensor Output, Tensor SlotShare) Blocks(Tensor x, Tensor h, (Tensor, Tensor)? local, (Tensor Output, Tensor LogSumExp) slotRead)
    {
        var (fused, share) = fusion.Combine(h, local, slotRead);
        var output = x + Dropout(out_proj.forward(NsmOps.MergeHeads(fused)));
        output = output + Dropout(ffn.forward(ffn_norm.forward(output)));
        return (output, share);
    }

    /// <summary>Rows lo..lo+count-1 of dim 2 of a chunk's local-attention result; the tensor itself when that is all of it.</summary>
    private static Tensor Rows(Tensor t, long lo, long count) => lo == 0 && count == t.shape[2] ? t : t.narrow(2, lo, count);

    /// <summary>Validity (B, rows) of the rows of the chunk that group g completes, the partial rows before the call included; null when all are valid.</summary>
    private static Tensor? ChunkValid(Tensor? valid, ChunkGrid grid, long g)
    {
        if (valid is null) return null;
        var rowValid = valid.narrow(1, grid.Start(g), grid.End(g) - grid.First(g));
        return g == 0 && grid.Partial > 0 ? cat([ones([valid.shape[0], grid.Partial], ScalarType.Bool, valid.device), rowValid], 1) : rowValid;
    }

    /// <summary>Dropout on a residual branch; skipped (no op at all) when the rate is 0 or in eval mode.</summary>
    private Tensor Dropout(Tensor x) => dropoutRate > 0 && training ? dropout.forward(x) : x;

    /// <summary>
    /// Rebuilds this layer's slots as source (s_new): old slot source[j], or a new active slot for
    /// -1 (see <see cref="StateManager.Resize"/>). States made before are invalid afterwards; the
    /// returned remaps say how every per-slot parameter's rows moved (for the optimizer).
    /// </summary>
    public IReadOnlyList<SlotRemap> Resize(long[] source) => [.. manager.Resize(source), .. writer.Resize(source)];

    /// <summary>Physically removes inactive slots, so reading, writing and communicating run over the active ones only.</summary>
    public IReadOnlyList<SlotRemap> Compact() => Resize(manager.ActiveRows());

    /// <summary>Appends count new active slots after the ones held.</summary>
    public IReadOnlyList<SlotRemap> Grow(int count) =>
        Resize([.. Enumerable.Range(0, (int)manager.Capacity).Select(i => (long)i), .. Enumerable.Repeat(-1L, count)]);
}
