using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Modules;

namespace Nsm.Models.Nsm;

/// <summary>
/// Neural State Machine (<c>model.kind = "nsm"</c>): token or feature inputs, a stack of
/// <see cref="NsmLayer"/>s, a final RMSNorm and a head.
/// Causal per-token tasks (language modelling, copy, recall) run the layers in causal chunked
/// mode; the LM head is tied to the token embedding. Classification and other non-causal tasks
/// run them in non-causal mode and classify from the masked mean of the token states
/// concatenated with an attention-pooled summary of the last layer's final slots.
/// Streams with a state whose size does not grow with the context (slots, the last w keys and
/// values, the open chunk's tokens).
/// </summary>
public sealed class NsmModel : SequenceModel, IStreamingModel, ISlotStatistics, IAdaptiveSlots
{
    /// <summary>The FLOP formula of <see cref="EstimateFlops"/>, in words.</summary>
    public const string FlopFormula = NsmFlops.Formula;

    private readonly InputEmbedding embed;
    private readonly ModuleList<nn.Module> layers;
    private readonly List<NsmLayer> nsmLayers;
    private readonly List<int> nsmIndices;
    private readonly RmsNorm norm_f;
    private readonly OutputHead head;
    private readonly SlotPooling? slot_pool;
    private readonly ModelConfig config;

    public NsmModel(ModelConfig config, TaskSpec spec) : base(nameof(NsmModel), spec, config.DModel)
    {
        this.config = config;
        config.Nsm.Validate(config);
        embed = new InputEmbedding(spec, config.DModel, config.InputStem, config.StemChannels);
        var pattern = config.Nsm.Pattern(config.NumLayers);
        var ffnHidden = SwiGlu.HiddenWidth(config.DModel, config.FfnMult);
        // With cross-layer states an NSM layer takes the slots of the layer below when that one is an NSM layer.
        layers = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(i => pattern[i] == 'N'
            ? (nn.Module)new NsmLayer(config, takesLowerSlots: config.Nsm.CrossLayerStates && i > 0 && pattern[i - 1] == 'N')
            : new AttentionLayer(config.DModel, config.NumHeads, ffnHidden, full: pattern[i] == 'T', causal: spec.Causal && spec.Output == TaskOutput.PerToken,
                config.Nsm.ChunkSize, config.Nsm.Window, config.RopeBase, config.Dropout)).ToArray());
        nsmIndices = Enumerable.Range(0, config.NumLayers).Where(i => pattern[i] == 'N').ToList();
        nsmLayers = nsmIndices.Select(i => (NsmLayer)layers[i]).ToList();
        norm_f = new RmsNorm(config.DModel);
        var classify = spec.Output == TaskOutput.Classification;
        head = new OutputHead(spec, config.DModel, embed, config.TieEmbeddings, classifierInput: classify ? 2 * config.DModel : 0);
        if (classify) slot_pool = new SlotPooling(config.DModel);
        RegisterComponents();
    }

    /// <summary>Whether the layers run in causal chunked mode (causal per-token tasks) rather than non-causal mode.</summary>
    public bool IsCausal => Spec.Causal && Spec.Output == TaskOutput.PerToken;

    /// <summary>The NSM layers, bottom first (every layer unless model.layer_pattern mixes in attention layers).</summary>
    public IReadOnlyList<NsmLayer> Layers => nsmLayers;

    /// <summary>The index in the stack of each of <see cref="Layers"/> (its "layers.&lt;i&gt;" name).</summary>
    public IReadOnlyList<int> LayerIndices => nsmIndices;

    /// <summary>Whether model.layer_pattern mixes attention layers into the stack.</summary>
    public bool IsHybrid => nsmLayers.Count != layers.Count;

    /// <summary>Whether a streaming state stays the same size at any context length: no full-attention (T) layer.</summary>
    public bool HasBoundedState => !layers.Any(l => l is AttentionLayer { IsFull: true });

    internal InputEmbedding Embed => embed;
    internal RmsNorm FinalNorm => norm_f;
    internal OutputHead Head => head;

    /// <summary>Active slots of each layer.</summary>
    public IReadOnlyList<long> NumActiveStates => nsmLayers.Select(l => l.Manager.NumActive).ToList();

    public override Tensor forward(Tensor input, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var x = embed.forward(input);                                             // (B, N, d)
        Tensor result;
        if (IsCausal)
        {
            (IReadOnlyList<Tensor> Slots, Tensor Active)? lower = null;
            var recompute = config.Nsm.Recompute && training;
            foreach (var module in layers)
            {
                if (recompute)
                {
                    x = module is NsmLayer nsm
                        ? Recompute.Run(nsm.Rerunnable, x, paddingMask, nsm.parameters())
                        : Recompute.Run(((AttentionLayer)module).Rerunnable, x, paddingMask, module.parameters());
                }
                else if (module is NsmLayer layer)
                {
                    var (y, _, chunkSlots) = layer.Forward(x, paddingMask, layer.InitialState(x.shape[0]), lower);
                    x = y;
                    lower = config.Nsm.CrossLayerStates ? (chunkSlots, layer.Manager.ActiveMask) : null;
                }
                else
                {
                    var attention = (AttentionLayer)module;
                    (x, _) = attention.Forward(x, paddingMask, attention.InitialState(x.shape[0]));
                    lower = null;
                }
            }
            result = head.PerToken(norm_f.forward(x));
        }
        else
        {
            (Tensor Slots, Tensor Active)? lower = null;
            Tensor? slots = null;
            foreach (var module in layers)
            {
                if (module is NsmLayer layer)
                {
                    (x, slots) = layer.Encode(x, paddingMask, config.Nsm.CrossLayerStates ? lower : null);
                    lower = (slots, layer.Manager.ActiveMask);
                }
                else
                {
                    x = ((AttentionLayer)module).Encode(x, paddingMask);
                    lower = null;
                }
            }
            var tokens = norm_f.forward(x);
            if (Spec.Output == TaskOutput.PerToken)
            {
                result = head.PerToken(tokens);
            }
            else
            {
                var pooledTokens = OutputHead.MaskedMean(tokens, paddingMask);                            // (B, d)
                var pooledSlots = slot_pool!.forward(slots!, nsmLayers[^1].Manager.ActiveMask);         // (B, d): the last NSM layer's slots
                result = head.Classify(cat([pooledTokens, pooledSlots], -1));
            }
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Token-side weights run for every token, slot-side weights for s slots once per chunk (see
    /// <see cref="NsmFlops"/>); mixing: local attention, slot read and write, slot communication.
    /// Counts the slots each layer holds now (the config's capacity until slots are resized).
    /// </summary>
    public override FlopEstimate EstimateFlops(long seqLen)
    {
        var slots = SlotsByLayer();
        return new(DenseFlops(name => NsmFlops.WeightMultiplier(config, Spec, seqLen, name, slots)), NsmFlops.Mixing(config, Spec, seqLen, slots), FlopFormula);
    }

    /// <summary>Slots held per stack index (0 for attention layers).</summary>
    private double[] SlotsByLayer()
    {
        var slots = new double[layers.Count];
        for (var k = 0; k < nsmLayers.Count; k++) slots[nsmIndices[k]] = nsmLayers[k].Manager.Capacity;
        return slots;
    }

    /// <summary>Importance L1 penalty: importance_l1 · sum over layers of the mean sigmoid(theta) of active slots; null when off.</summary>
    public override Tensor? AuxiliaryLoss()
    {
        if (config.Nsm.ImportanceL1 <= 0) return null;
        using var scope = NewDisposeScope();
        var total = nsmLayers.Select(l => l.Manager.ImportancePenalty()).Aggregate((a, b) => a + b);
        return (total * config.Nsm.ImportanceL1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One StateManager pass over every layer, between optimizer steps: prune slots below
    /// prune_threshold and remove every inactive slot (so they stop costing compute), then append
    /// one new slot where the active ones are saturated (allocate_threshold), up to the capacity
    /// the config gives (max_states). Returns the slots pruned and allocated in total and how the
    /// per-slot parameters' rows moved, in order (the optimizer's moments must move the same way).
    /// </summary>
    public SlotChange ManageStates()
    {
        int pruned = 0, allocated = 0;
        var remaps = new List<SlotRemap>();
        foreach (var layer in nsmLayers)
        {
            var manager = layer.Manager;
            if (config.Nsm.PruneThreshold > 0) pruned += manager.Prune(config.Nsm.PruneThreshold);
            if (manager.NumActive < manager.Capacity) remaps.AddRange(layer.Compact());
            if (config.Nsm.AllocateThreshold > 0 && manager.Capacity < config.Nsm.Capacity && manager.Saturated(config.Nsm.AllocateThreshold))
            {
                remaps.AddRange(layer.Grow(1));
                allocated++;
            }
        }
        return new SlotChange(pruned, allocated, remaps);
    }

    IReadOnlyList<SlotRemap> IAdaptiveSlots.ManageSlots() => ManageStates().Remaps;

    /// <summary>Training steps between StateManager passes (model.manage_states_every; 0 = none).</summary>
    public int ManageSlotsEvery => config.Nsm.ManageStatesEvery;

    /// <summary>Slots each NSM layer holds now, by stack index.</summary>
    public IReadOnlyList<(int Layer, long Slots)> SlotCounts => nsmLayers.Select((l, k) => (nsmIndices[k], l.Manager.Capacity)).ToList();

    /// <summary>
    /// Makes each listed NSM layer hold its first Slots slots, all active (to load a checkpoint
    /// saved with those counts); ArgumentException for an unknown layer or more slots than the
    /// config's capacity.
    /// </summary>
    public void SetSlotCounts(IReadOnlyList<(int Layer, long Slots)> counts)
    {
        foreach (var (index, slots) in counts)
        {
            var k = nsmIndices.IndexOf(index);
            if (k < 0) throw new ArgumentException($"layer {index} is not an NSM layer of this model");
            var layer = nsmLayers[k];
            if (slots < 1 || slots > config.Nsm.Capacity)
                throw new ArgumentException($"layer {index} cannot hold {slots} slots: 'model.max_states' allows 1..{config.Nsm.Capacity}");
            var source = Enumerable.Range(0, (int)slots).Select(i => i < layer.Manager.Capacity ? (long)i : -1L).ToArray();
            layer.Resize(source);
            layer.Manager.ActivateAll();
        }
    }

    /// <summary>
    /// Physically removes inactive slots from every layer, so reading, writing and communicating
    /// cost less and states are smaller. Streaming states made before are invalid afterwards; the
    /// returned remaps say how the per-slot parameters' rows moved (for an optimizer's state).
    /// </summary>
    public IReadOnlyList<SlotRemap> Compact() => nsmLayers.SelectMany(l => l.Compact()).ToList();

    /// <summary>Bytes of the slot tensors (and LSTM cells) of a streaming state for a batch: the part pruning shrinks.</summary>
    public long SlotStateBytes(long batchSize) => nsmLayers.Sum(l => LayerSlotStateBytes(l, batchSize));

    /// <summary>Bytes of the external memories (with their heads' weightings) of a streaming state for a batch; 0 without memory.</summary>
    public long MemoryStateBytes(long batchSize) => nsmLayers.Sum(l => batchSize * (l.Memory?.StateBytes ?? 0));

    private long LayerSlotStateBytes(NsmLayer layer, long batchSize) =>
        batchSize * layer.Manager.Capacity * config.DModel * sizeof(float) * (layer.HasCells ? 2L : 1L);

    /// <summary>
    /// One forward pass of input (B, N) or (B, N, F) that also returns what every layer did:
    /// routing, reads, the slots after each chunk, importance and usage. Runs in eval mode
    /// without gradients and leaves the model as it was (mode, weights, usage statistics); the
    /// output equals forward's in eval mode.
    /// </summary>
    public NsmInspection Inspect(Tensor input, Tensor? paddingMask = null)
    {
        var wasTraining = training;
        var probes = nsmLayers.Select(_ => new SlotProbe(keepArrays: true)).ToList();
        try
        {
            eval();
            using var noGrad = no_grad();
            for (var i = 0; i < nsmLayers.Count; i++) nsmLayers[i].Probe = probes[i];
            var output = forward(input, paddingMask);
            var traces = nsmLayers.Select((layer, i) =>
            {
                var probe = probes[i];
                var manager = layer.Manager;
                return new NsmLayerTrace(probe.RoutingKind, probe.Routing, probe.RoutingNull, probe.ReadWeights, probe.ReadShare, probe.Trajectory,
                    manager.Importance.detach().sigmoid(), manager.ActiveMask.clone(), manager.WriteUsage.clone(), manager.ReadUsage.clone(), probe.MeanWriteEntropy);
            }).ToList();
            return new NsmInspection(output, traces);
        }
        finally
        {
            for (var i = 0; i < nsmLayers.Count; i++)
            {
                nsmLayers[i].Probe = null;
                probes[i].Clear();
            }
            train(wasTraining);
        }
    }

    public void WatchNextPass()
    {
        foreach (var layer in nsmLayers) layer.Probe ??= new SlotProbe(keepArrays: false);
    }

    public IReadOnlyDictionary<string, double> SlotStatistics()
    {
        var stats = new Dictionary<string, double>();
        var importances = ActiveImportances();
        for (var k = 0; k < nsmLayers.Count; k++)
        {
            var (layer, i) = (nsmLayers[k], nsmIndices[k]);
            stats[SlotStatisticKeys.ActiveSlots(i)] = importances[k].Importances.Length;
            stats[SlotStatisticKeys.ImportanceMean(i)] = importances[k].Importances.Average();
            stats[SlotStatisticKeys.ImportanceMin(i)] = importances[k].Importances.Min();
            stats[SlotStatisticKeys.WriteEntropy(i)] = layer.Probe?.MeanWriteEntropy ?? double.NaN;
            stats[SlotStatisticKeys.SlotStateBytes(i)] = LayerSlotStateBytes(layer, 1);
            if (layer.Memory is { } memory) stats[SlotStatisticKeys.MemoryBytes(i)] = memory.StateBytes;
            layer.Probe?.Clear();
            layer.Probe = null;
        }
        return stats;
    }

    public IReadOnlyList<(int Layer, float[] Importances)> ActiveImportances()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return nsmLayers.Select((l, k) => (nsmIndices[k], l.Manager.Importance.detach().sigmoid().masked_select(l.Manager.ActiveMask).cpu().data<float>().ToArray())).ToList();
    }

    /// <summary>
    /// Largest size in bytes a streaming state reaches for a batch, at any context length:
    /// slots (and cells), local keys and values of at most w + c - 1 tokens, at most c - 1
    /// open-chunk tokens and k - 1 write-convolution rows per NSM layer, and its external memory
    /// with the heads' weightings (memory-augmented NSM); the window's keys and values per L layer. A stack with a T layer has no bound (InvalidOperationException).
    /// </summary>
    public long MaxStreamingStateBytes(long batchSize)
    {
        if (!HasBoundedState) throw new InvalidOperationException("a stack with a full-attention (T) layer keeps every key: its state grows with the context");
        var perToken = batchSize * config.DModel * (long)sizeof(float);
        var window = 2 * (config.Nsm.Window + config.Nsm.ChunkSize - 1) * perToken;
        var cache = config.Nsm.LocalAttention ? window : 0;
        return SlotStateBytes(batchSize) + MemoryStateBytes(batchSize) + nsmLayers.Count * (cache + (config.Nsm.ChunkSize - 1 + config.Nsm.WriteConv - 1) * perToken)
            + (layers.Count - nsmLayers.Count) * window;
    }

    public ModelState InitialState(long batchSize)
    {
        return ModelState.FromLayers(layers.Select(l => l is NsmLayer layer ? (ILayerState)layer.InitialState(batchSize) : ((AttentionLayer)l).InitialState(batchSize)), 0);
    }

    public (Tensor Output, ModelState State) Forward(Tensor input, ModelState state)
    {
        if (!IsCausal) throw new InvalidOperationException("streaming needs a causal per-token model");
        if (input.shape[1] == 0) throw new ArgumentException("streaming input must hold at least one token");
        using var scope = NewDisposeScope();
        var x = embed.forward(input);
        var next = new List<ILayerState>(layers.Count);
        (IReadOnlyList<Tensor> Slots, Tensor Active)? lower = null;
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i] is NsmLayer layer)
            {
                var (y, newState, chunkSlots) = layer.Forward(x, null, LayerState(state, i, layer), lower);
                x = y;
                lower = config.Nsm.CrossLayerStates ? (chunkSlots, layer.Manager.ActiveMask) : null;
                next.Add(newState);
            }
            else
            {
                var (y, newState) = ((AttentionLayer)layers[i]).Forward(x, null, state.Layer(i, AttentionState));
                x = y;
                lower = null;
                next.Add(newState);
            }
        }
        var logits = head.PerToken(norm_f.forward(x));
        var newModelState = ModelState.FromLayers(next, state.Position + input.shape[1]).MoveToOuterDisposeScope();
        return (logits.MoveToOuterDisposeScope(), newModelState);
    }

    /// <summary>NSM layer i's state (typed, or read by name), checked against the layer: its slot count and memory size.</summary>
    private static NsmLayerState LayerState(ModelState state, int i, NsmLayer layer)
    {
        var layerState = state.Layer(i, NsmState);
        var expectedSlots = layer.Manager.Capacity;
        if (layerState.Slots.shape[1] != expectedSlots)
            throw new ArgumentException($"state has {layerState.Slots.shape[1]} slots in layer {i}, the model {expectedSlots} (states made before Compact() cannot be reused)");
        if (layer.Memory is { } own && layerState.Memory is { } memory && (memory.Memory.shape[1] != own.Rows || memory.Memory.shape[2] != own.Width))
            throw new ArgumentException($"state has a memory of {memory.Memory.shape[1]} x {memory.Memory.shape[2]} in layer {i}, the model {own.Rows} x {own.Width}");
        return layerState;
    }

    private static NsmLayerState NsmState(LayerTensors tensors)
    {
        var slots = tensors.Get("slots");
        var partial = tensors.Get("partial");
        var memory = tensors.Find("memory") is { } m
            ? new NtmMemoryState(m, tensors.Get("memory_write_weights"), tensors.Get("memory_read_weights"))
            : null;
        return new NsmLayerState(slots, tensors.Find("cells"), tensors.Find("keys"), tensors.Find("values"), partial, tensors.Find("history"), tensors.Position, memory);
    }

    private static AttentionLayerState AttentionState(LayerTensors tensors) =>
        new(tensors.Get("keys"), tensors.Get("values"), tensors.Position);
}
