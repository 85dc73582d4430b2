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
/// per chunk a handful of batched matmuls. Any number of tokens can be fed per call with a
/// carried <see cref="NsmLayerState"/>, with the same results as one call.
///
/// Non-causal mode (<see cref="Encode"/>): all tokens are written to the slots at once, the
/// slots propagate and communicate, then every token reads the updated slots jointly with a
/// bidirectional local window.
/// </summary>
public sealed class NsmLayer : nn.Module
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
    private readonly RmsNorm write_norm;
    private readonly Parameter? write_position;
    private readonly Parameter? write_conv;
    private readonly RmsNorm? cross_norm;
    private readonly StateWriter writer;
    private readonly StatePropagator propagator;
    private readonly StateCommunication? communication;
    private readonly StateManager manager;

    private readonly long dim;
    private readonly long numHeads;
    private readonly long headDim;
    private readonly long chunk;
    private readonly long window;
    private readonly double usageDecay;
    private readonly double dropoutRate;

    /// <param name="config">Model settings (NSM keys in ModelConfig.Nsm.cs).</param>
    /// <param name="takesLowerSlots">Whether this layer's write also takes the slots of the layer below (cross-layer states).</param>
    public NsmLayer(ModelConfig config, bool takesLowerSlots) : base(nameof(NsmLayer))
    {
        dim = config.DModel;
        numHeads = config.NumHeads;
        if (dim % numHeads != 0) throw new ConfigException($"'model.d_model' ({dim}) must be divisible by 'model.num_heads' ({numHeads})");
        if (dim % config.RouterHeads != 0) throw new ConfigException($"'model.d_model' ({dim}) must be divisible by 'model.router_heads' ({config.RouterHeads})");
        headDim = dim / numHeads;
        if (config.LocalAttention && headDim % 2 != 0) throw new ConfigException($"'model.d_model' / 'model.num_heads' = {headDim} must be even for rotary positions in the local attention");
        chunk = config.ChunkSize;
        window = config.Window;
        usageDecay = config.UsageDecay;
        dropoutRate = config.Dropout;
        var (capacity, active) = SlotCounts(config);

        attn_norm = new RmsNorm(dim);
        q_proj = nn.Linear(dim, dim, hasBias: false);
        if (config.LocalAttention) local = new LocalAttention(dim, numHeads, config.RopeBase);
        state_read = new StateRead(dim, numHeads);
        fusion = new HybridFusion(dim, numHeads, config.Fusion);
        out_proj = nn.Linear(dim, dim, hasBias: false);
        ffn_norm = new RmsNorm(dim);
        ffn = new SwiGlu(dim, SwiGlu.HiddenWidth(dim, config.FfnMult));
        dropout = nn.Dropout(config.Dropout);

        write_norm = new RmsNorm(dim);
        if (config.WritePositions) write_position = nn.Parameter(randn(chunk, dim) * 0.5);
        if (config.WriteConv > 1)
        {
            // Row i weighs the token i steps back: 1 for the token itself, random for earlier ones,
            // so the previous tokens reach the write from the first step on.
            var kernel = randn(config.WriteConv, dim) * 0.5;
            kernel[0] = ones(dim);
            write_conv = nn.Parameter(kernel);
        }
        if (takesLowerSlots) cross_norm = new RmsNorm(dim);
        writer = config.Router switch
        {
            "token" => new TokenRouter(dim, capacity, config.RouterHeads, config.RouterTemperature, config.RouterTopK, config.RouterNull),
            "slot" => new SlotRouter(dim, config.RouterHeads, config.RouterNull),
            _ => throw new ConfigException($"'model.router' = \"{config.Router}\" is not allowed; allowed: token, slot"),
        };
        propagator = StatePropagator.Create(config.Propagator, dim);
        communication = config.Communication switch
        {
            "none" => null,
            "dense" => new StateCommunication(dim, numHeads, 0, StateFfnHidden(config)),
            "topk" => new StateCommunication(dim, numHeads, config.CommunicationTopK, StateFfnHidden(config)),
            _ => throw new ConfigException($"'model.communication' = \"{config.Communication}\" is not allowed; allowed: none, dense, topk"),
        };
        manager = new StateManager(capacity, active, dim, config.ImportanceInit);
        RegisterComponents();
    }

    /// <summary>Slot capacity and initially active slots from num_states, max_states and initial_states.</summary>
    public static (int Capacity, int Active) SlotCounts(ModelConfig config)
    {
        var active = config.InitialStates > 0 ? config.InitialStates : config.NumStates;
        var capacity = config.MaxStates > 0 ? config.MaxStates : Math.Max(config.NumStates, active);
        if (active > capacity)
            throw new ConfigException($"'model.max_states' = {capacity} is smaller than the initially active slots ({active}, from 'model.initial_states' or 'model.num_states')");
        return (capacity, active);
    }

    private static long StateFfnHidden(ModelConfig config) =>
        config.StateFfnMult > 0 ? SwiGlu.HiddenWidth(config.DModel, config.StateFfnMult) : 0;

    /// <summary>The slot resources of this layer (importance, active mask, usage, pruning).</summary>
    public StateManager Manager => manager;

    /// <summary>Chunk length c.</summary>
    public long ChunkSize => chunk;

    /// <summary>Local window w.</summary>
    public long Window => window;

    /// <summary>Attention heads of the token and slot reads.</summary>
    public long NumHeads => numHeads;

    /// <summary>Whether the propagator carries LSTM cells beside the slots.</summary>
    public bool HasCells => propagator.HasCells;

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
    internal StateWriter Writer => writer;

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
        var history = write_conv is null ? null : zeros([batch, WriteKernel - 1, dim], device: device);
        return new NsmLayerState(slots, cells, keys, values, zeros([batch, 0, dim], device: device), history, 0);
    }

    /// <summary>
    /// Causal forward over n >= 1 new tokens after the state.
    /// x: (B, n, d); valid: (B, n) bool (true = real token) or null; lower: the slots (B, s', d)
    /// of the layer below after each chunk this call completes, with its active mask (s'), when
    /// cross-layer states are on. Returns the outputs (B, n, d), the new state, and the slots
    /// after each chunk completed in this call (for the layer above).
    /// </summary>
    public (Tensor Output, NsmLayerState State, List<Tensor> ChunkSlots) Forward(Tensor x, Tensor? valid, NsmLayerState state, (IReadOnlyList<Tensor> Slots, Tensor Active)? lower = null)
    {
        using var scope = NewDisposeScope();
        var (b, n) = (x.shape[0], x.shape[1]);
        var position = state.Position;
        var p = state.Partial.shape[1];
        if (p != position % chunk) throw new ArgumentException($"layer state holds {p} partial tokens at position {position}; expected {position % chunk}");
        var chunkStart = position - p;
        var groups = (p + n + chunk - 1) / chunk;
        var tail = groups * chunk - p - n;

        var h = attn_norm.forward(x);
        var q = NsmOps.SplitHeads(q_proj.forward(h), numHeads);                  // (B, h, n, hd), no positions: for the slots

        Tensor? localOut = null, localLse = null, keysAll = null, valuesAll = null;
        if (local is not null)
        {
            var (k, v) = local.Project(h, position);
            keysAll = cat([state.Keys!, k], 2);                                   // (B, h, T + n, hd): positions max(0, c0 - w) ..
            valuesAll = cat([state.Values!, v], 2);
            var cached = state.Keys!.shape[2];
            var lead = window - Math.Min(window, chunkStart);                     // filler keys before position 0
            var keys = nn.functional.pad(keysAll, [0, 0, lead, tail]);            // (B, h, w + G·c, hd)
            var values = nn.functional.pad(valuesAll, [0, 0, lead, tail]);
            var keyValid = cat([
                zeros([b, lead], ScalarType.Bool, x.device),
                ones([b, cached], ScalarType.Bool, x.device),
                valid ?? ones([b, n], ScalarType.Bool, x.device),
                zeros([b, tail], ScalarType.Bool, x.device)], 1);                 // (B, w + G·c)
            var rotated = local.Rotary.Apply(q, position);
            var queries = nn.functional.pad(rotated, [0, 0, p, tail]).view(b, numHeads, groups, chunk, headDim); // (B, h, G, c, hd)
            (localOut, localLse) = WindowedAttention.Attend(queries, keys, values, keyValid, window, 0, causal: true);
        }

        var slots = state.Slots;
        var cells = state.Cells;
        var context = manager.Context();
        var outputs = new List<Tensor>();
        var chunkSlots = new List<Tensor>();
        var partial = state.Partial;
        var history = state.History;
        var usage = training ? new UsageAccumulator() : null;
        // Cut the new tokens into their chunk groups once: one split node per tensor, whose backward
        // concatenates the chunks' gradients in O(N). (Cutting each chunk with narrow instead costs a
        // full-size gradient buffer per chunk, O(N²/c) in time and traffic.)
        var counts = GroupCounts(p, n, groups);
        var xGroups = x.split(counts, 1);                                         // G x (B, count, d)
        var hGroups = h.split(counts, 1);
        var qGroups = q.split(counts, 2);                                         // G x (B, h, count, hd)
        var localOutGroups = localOut?.unbind(2);                                 // G x (B, h, c, hd)
        var localLseGroups = localLse?.unbind(2);                                 // G x (B, h, c)
        for (long g = 0; g < groups; g++)
        {
            // Rows lo..hi-1 of group g hold new tokens start..start+count-1.
            var lo = g == 0 ? p : 0;
            var hi = Math.Min(chunk, p + n - g * chunk);
            var count = hi - lo;
            var start = g * chunk + lo - p;

            var (stateKeys, stateValues) = state_read.KeysValues(slots);
            var (stateOut, stateLse, stateWeights) = SlotAttention.Attend(qGroups[g], stateKeys, stateValues, context.LogitBias);
            (Tensor, Tensor)? localPart = localOutGroups is null ? null
                : (Rows(localOutGroups[g], lo, count), Rows(localLseGroups![g], lo, count));
            var hRows = hGroups[g];
            var (fused, share) = fusion.Combine(hRows, localPart, (stateOut, stateLse));
            var rows = xGroups[g] + Dropout(out_proj.forward(NsmOps.MergeHeads(fused)));
            rows = rows + Dropout(ffn.forward(ffn_norm.forward(rows)));
            outputs.Add(rows);
            usage?.AddRead(stateWeights, share);

            var chunkRows = g == 0 && p > 0 ? cat([partial, rows], 1) : rows;     // (B, rows of this chunk so far, d)
            if (hi < chunk)
            {
                partial = chunkRows;
                continue;
            }
            Tensor? chunkValid = null;
            if (valid is not null)
            {
                var rowValid = valid.narrow(1, start, count);
                chunkValid = g == 0 && p > 0 ? cat([ones([b, p], ScalarType.Bool, x.device), rowValid], 1) : rowValid;
            }
            (Tensor, Tensor)? lowerChunk = lower is { } l ? (l.Slots[chunkSlots.Count], l.Active) : null;
            Tensor mass;
            (slots, cells, mass) = WriteChunk(chunkRows, chunkValid, 0, slots, cells, lowerChunk, context, history);
            usage?.AddWrite(mass);
            chunkSlots.Add(slots);
            if (history is not null)
            {
                // The last k-1 rows up to here; a full chunk holds them all when c >= k-1.
                var keep = history.shape[1];
                var recent = chunkRows.shape[1] >= keep ? chunkRows : cat([history, chunkRows], 1);
                history = recent.narrow(1, recent.shape[1] - keep, keep);
            }
            partial = zeros([b, 0, dim], device: x.device);
        }
        if (usage is not null) usage.Record(manager, usageDecay);

        var newPosition = position + n;
        Tensor? newKeys = null, newValues = null;
        if (keysAll is not null)
        {
            // Keep the keys a later token can still see: those from w before the open chunk on.
            var openStart = newPosition - partial.shape[1];
            var keep = Math.Min(window, openStart) + partial.shape[1];
            newKeys = keysAll.narrow(2, keysAll.shape[2] - keep, keep).clone();
            newValues = valuesAll!.narrow(2, valuesAll.shape[2] - keep, keep).clone();
        }
        var output = cat(outputs, 1);
        // Fresh handles: callers dispose the old state, and slots without a write this call are the old tensors.
        var newState = new NsmLayerState(slots.alias(), cells?.alias(), newKeys, newValues, partial.clone(), history?.clone(), newPosition);
        foreach (var (_, t) in newState.Named()) t.MoveToOuterDisposeScope();
        foreach (var t in chunkSlots) t.MoveToOuterDisposeScope();
        return (output.MoveToOuterDisposeScope(), newState, chunkSlots);
    }

    /// <summary>Tokens of each chunk group in a call of n new tokens after p partial ones: (c - p), c, ..., rest.</summary>
    private long[] GroupCounts(long p, long n, long groups)
    {
        var counts = new long[groups];
        for (long g = 0; g < groups; g++)
            counts[g] = Math.Min(chunk, p + n - g * chunk) - (g == 0 ? p : 0);
        return counts;
    }

    /// <summary>Rows lo..lo+count-1 of dim 2 of a chunk's local-attention result; the tensor itself when that is all of it.</summary>
    private static Tensor Rows(Tensor t, long lo, long count) => lo == 0 && count == t.shape[2] ? t : t.narrow(2, lo, count);

    /// <summary>
    /// Non-causal forward over a whole sequence. x: (B, N, d); valid: (B, N) bool or null;
    /// lower: the final slots (B, s', d) and active mask (s') of the layer below with
    /// cross-layer states. Returns the outputs (B, N, d) and the updated slots (B, s, d).
    /// </summary>
    public (Tensor Output, Tensor Slots) Encode(Tensor x, Tensor? valid, (Tensor Slots, Tensor Active)? lower = null)
    {
        using var scope = NewDisposeScope();
        var (b, n) = (x.shape[0], x.shape[1]);
        var initial = manager.InitialSlots(b);
        var initialCells = propagator.HasCells ? zeros_like(initial) : null;
        var context = manager.Context();
        var history = write_conv is null ? null : zeros([b, WriteKernel - 1, dim], device: x.device);
        var (slots, _, mass) = WriteChunk(x, valid, 0, initial, initialCells, lower, context, history);

        var h = attn_norm.forward(x);
        var q = NsmOps.SplitHeads(q_proj.forward(h), numHeads);                  // (B, h, N, hd)
        (Tensor, Tensor)? localPart = null;
        if (local is not null)
        {
            var groups = (n + chunk - 1) / chunk;
            var tail = groups * chunk - n;
            var (k, v) = local.Project(h, 0);
            var keys = nn.functional.pad(k, [0, 0, window, tail + window]);      // (B, h, w + G·c + w, hd)
            var values = nn.functional.pad(v, [0, 0, window, tail + window]);
            var keyValid = cat([
                zeros([b, window], ScalarType.Bool, x.device),
                valid ?? ones([b, n], ScalarType.Bool, x.device),
                zeros([b, tail + window], ScalarType.Bool, x.device)], 1);
            var queries = nn.functional.pad(local.Rotary.Apply(q, 0), [0, 0, 0, tail]).view(b, numHeads, groups, chunk, headDim);
            var (o, lse) = WindowedAttention.Attend(queries, keys, values, keyValid, window, window, causal: false);
            localPart = (o.view(b, numHeads, groups * chunk, headDim).narrow(2, 0, n), lse.view(b, numHeads, groups * chunk).narrow(2, 0, n));
        }
        var (stateKeys, stateValues) = state_read.KeysValues(slots);
        var (stateOut, stateLse, stateWeights) = SlotAttention.Attend(q, stateKeys, stateValues, context.LogitBias);
        var (fused, share) = fusion.Combine(h, localPart, (stateOut, stateLse));
        var output = x + Dropout(out_proj.forward(NsmOps.MergeHeads(fused)));
        output = output + Dropout(ffn.forward(ffn_norm.forward(output)));
        if (training)
        {
            var usage = new UsageAccumulator();
            usage.AddRead(stateWeights, share);
            usage.AddWrite(mass);
            usage.Record(manager, usageDecay);
        }
        return (output.MoveToOuterDisposeScope(), slots.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Writes rows (B, n, d) whose chunk offsets start at firstOffset into the slots:
    /// route, propagate, clip the RMS, communicate. valid: (B, n) or null. A sample with no
    /// real row keeps its slots and cells exactly (padding never touches the state).
    /// Returns the new slots and cells and the per-slot write mass (B, s, d).
    /// </summary>
    internal (Tensor Slots, Tensor? Cells, Tensor Mass) WriteChunk(Tensor rows, Tensor? valid, long firstOffset, Tensor slots, Tensor? cells, (Tensor Slots, Tensor Active)? lower, SlotContext context, Tensor? history)
    {
        using var scope = NewDisposeScope();
        var (inputs, inputValid) = WriteInputs(rows, valid, firstOffset, lower, history);
        var (candidate, mass) = writer.Write(inputs, inputValid, slots, context);
        var (newSlots, newCells) = Propagate(slots, cells, candidate, mass, context);
        if (valid is not null)
        {
            var written = valid.any(1).view(rows.shape[0], 1, 1);
            newSlots = where(written, newSlots, slots);
            if (newCells is not null) newCells = where(written, newCells, cells!);
        }
        return (newSlots.MoveToOuterDisposeScope(), newCells?.MoveToOuterDisposeScope(), mass.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The rows a write takes: Norm(rows) (B, n, d) passed through the causal write convolution
    /// (history: the k-1 rows before, (B, k-1, d)), plus the embedding of each row's chunk offset
    /// (firstOffset, firstOffset+1, ... mod c), followed by Norm of the lower layer's slots with
    /// cross-layer states. Returns the inputs (B, n [+ s'], d) and their validity (B, n [+ s']) or null.
    /// </summary>
    internal (Tensor Inputs, Tensor? Valid) WriteInputs(Tensor rows, Tensor? valid, long firstOffset, (Tensor Slots, Tensor Active)? lower, Tensor? history)
    {
        using var scope = NewDisposeScope();
        var (b, n) = (rows.shape[0], rows.shape[1]);
        var inputs = write_norm.forward(rows);
        if (write_conv is not null)
        {
            var lags = write_conv.shape[0];
            var padded = cat([write_norm.forward(history!), inputs], 1);                        // (B, k-1 + n, d)
            inputs = inputs * write_conv[0];
            for (long i = 1; i < lags; i++)
                inputs = inputs + padded.narrow(1, lags - 1 - i, n) * write_conv[i];            // token t-i
        }
        if (write_position is not null)
        {
            if (firstOffset == 0 && n == chunk)
            {
                inputs = inputs + write_position;                                                 // a whole chunk: offsets 0..c-1
            }
            else
            {
                var offsets = arange(firstOffset, firstOffset + n, device: rows.device) % chunk;  // (n)
                inputs = inputs + write_position.index_select(0, offsets);
            }
        }
        var inputValid = valid;
        if (lower is { } l && cross_norm is not null)
        {
            var s = l.Slots.shape[1];
            inputs = cat([inputs, cross_norm.forward(l.Slots)], 1);                               // (B, n + s', d)
            inputValid = cat([valid ?? ones([b, n], ScalarType.Bool, rows.device), l.Active.unsqueeze(0).expand(b, s)], 1);
        }
        return (inputs.MoveToOuterDisposeScope(), inputValid?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Applies a write: the propagator's update from slots/cells (B, s, d), candidate and mass
    /// (B, s, d), the slots' RMS clipped at 1, then communication among the active slots.
    /// </summary>
    internal (Tensor Slots, Tensor? Cells) Propagate(Tensor slots, Tensor? cells, Tensor candidate, Tensor mass, SlotContext context)
    {
        using var scope = NewDisposeScope();
        var (newSlots, newCells) = propagator.Update(slots, cells, candidate, mass);
        newSlots = NsmOps.ClipRms(newSlots);
        if (communication is not null) newSlots = communication.forward(newSlots, context);
        return (newSlots.MoveToOuterDisposeScope(), newCells?.MoveToOuterDisposeScope());
    }

    /// <summary>Dropout on a residual branch; skipped (no op at all) when the rate is 0 or in eval mode.</summary>
    private Tensor Dropout(Tensor x) => dropoutRate > 0 && training ? dropout.forward(x) : x;

    /// <summary>Physically removes inactive slots (see <see cref="StateManager.Compact"/>). States made before are invalid afterwards.</summary>
    public void Compact()
    {
        using var keep = manager.Compact();
        writer.Compact(keep);
    }

    /// <summary>Sums read and write mass per slot over the chunks of one call, for the usage EMAs.</summary>
    private sealed class UsageAccumulator
    {
        private Tensor? read;
        private Tensor? write;
        private int reads;
        private int writes;

        /// <summary>weights: (B, h, n, s) attention within the slots; share: (B, h, n, 1) share of the joint read that went to slots.</summary>
        public void AddRead(Tensor weights, Tensor share)
        {
            using var noGrad = no_grad();
            var mass = (weights * share).mean([0, 1, 2]).detach();                 // (s)
            read = read is null ? mass : read + mass;
            reads++;
        }

        /// <summary>mass: (B, s, d) per-channel write mass.</summary>
        public void AddWrite(Tensor mass)
        {
            using var noGrad = no_grad();
            var perSlot = mass.mean([0, 2]).detach();                               // (s)
            write = write is null ? perSlot : write + perSlot;
            writes++;
        }

        public void Record(StateManager manager, double decay)
        {
            using var noGrad = no_grad();
            using var writeMean = write is null ? null : write / writes;
            using var readMean = read is null ? null : read / reads;
            manager.RecordUsage(writeMean, readMean, decay);
        }
    }
}
