using System.Text.Json.Serialization;
using Nsm.Core;

namespace Nsm.Config;

/// <summary>
/// Options of the Neural State Machine family (<c>model.kind = "nsm"</c>), the section
/// <c>ModelConfig.Nsm</c>; in JSON the keys sit flat in the model section (<c>model.num_states</c>).
/// See docs/nsm.md and the design in docs/design.md. Other model kinds ignore them.
/// </summary>
public sealed record NsmOptions : IOptionsSection
{
    /// <summary>
    /// State slots per layer that start active (s). With <c>max_states</c> = 0 this is also the
    /// slot capacity. Default 16.
    /// </summary>
    [JsonPropertyName("num_states"), ConfigRange(1, 4096)]
    public int NumStates { get; init; } = 16;

    /// <summary>
    /// Slot capacity per layer for the StateManager's allocation; 0 = num_states (no room to grow).
    /// Must be at least the number of initially active slots. Default 0.
    /// </summary>
    [JsonPropertyName("max_states"), ConfigRange(0, 4096)]
    public int MaxStates { get; init; }

    /// <summary>Slots active at the start when it differs from num_states (adaptive NSM); 0 = num_states. Default 0.</summary>
    [JsonPropertyName("initial_states"), ConfigRange(0, 4096)]
    public int InitialStates { get; init; }

    /// <summary>
    /// Chunk length c: tokens of chunk k read the slots written up to chunk k-1 and are then
    /// written together, so all c tokens run in parallel. Default 16.
    /// </summary>
    [JsonPropertyName("chunk_size"), ConfigRange(1, 65536)]
    public int ChunkSize { get; init; } = 16;

    /// <summary>
    /// Local attention window w: a token attends to the tokens of its own chunk up to itself and to
    /// the w tokens before the chunk (so it sees between w and w + c - 1 earlier tokens). The design
    /// default is w = c. Default 16.
    /// </summary>
    [JsonPropertyName("window"), ConfigRange(0, 65536)]
    public int Window { get; init; } = 16;

    /// <summary>Use local token attention beside the slot read; false gives the "simple NSM" read (slots only). Default true.</summary>
    [JsonPropertyName("local_attention")]
    public bool LocalAttention { get; init; } = true;

    /// <summary>
    /// How the local and slot reads combine: "joint" (one softmax per head over local and slot keys)
    /// or "gated" (two attentions mixed by a learned sigmoid gate per token and channel). Default "joint".
    /// </summary>
    [JsonPropertyName("fusion")]
    public NsmFusion Fusion { get; init; } = NsmFusion.Joint;

    /// <summary>
    /// Token-to-state write: "token" (each token spreads one unit of write mass over the slots with a
    /// softmax) or "slot" (each slot attends over the chunk's tokens, Perceiver-style). Default "token".
    /// </summary>
    [JsonPropertyName("router")]
    public NsmRouter Router { get; init; } = NsmRouter.Token;

    /// <summary>Token router: keep only each token's k highest-scoring slots (0 = all). Default 0.</summary>
    [JsonPropertyName("router_top_k"), ConfigRange(0, 4096)]
    public int RouterTopK { get; init; }

    /// <summary>Token router: softmax temperature tau of the routing logits (lower = sharper). Default 1.</summary>
    [JsonPropertyName("router_temperature"), ConfigRange(0.01, 100)]
    public double RouterTemperature { get; init; } = 1.0;

    /// <summary>
    /// Token router: routing probabilities at or below this floor become exactly 0 and the rest
    /// are rescaled, r = max(p - floor, 0) / (1 - floor). A token that gives every slot at most
    /// the floor writes nothing at all, so a slot that only such tokens reach keeps its content
    /// exactly over any length instead of leaking a little per chunk (softmax weights are never
    /// 0). 0 = off. Default 0.
    /// </summary>
    [JsonPropertyName("router_floor"), ConfigRange(0, 0.99)]
    public double RouterFloor { get; init; }

    /// <summary>Routing heads: each routes its own d/heads channels of the written values; must divide d_model. Default 1.</summary>
    [JsonPropertyName("router_heads"), ConfigRange(1, 1024)]
    public int RouterHeads { get; init; } = 1;

    /// <summary>
    /// Give the write a "nowhere" option: a learned null slot (token router) or null key (slot router)
    /// that absorbs write mass, so tokens that carry nothing need not disturb a slot. Default true.
    /// </summary>
    [JsonPropertyName("router_null")]
    public bool RouterNull { get; init; } = true;

    /// <summary>
    /// Add a learned embedding of each token's offset inside its chunk to what it writes (routing
    /// logits, slot-router keys and written values), so tokens of one chunk can be sent to different
    /// slots by position and slots remember where in the chunk their content came from. Default true.
    /// </summary>
    [JsonPropertyName("write_positions")]
    public bool WritePositions { get; init; } = true;

    /// <summary>
    /// Kernel k of a causal depthwise convolution over the rows a chunk writes: the write of token t
    /// sees the normed outputs of tokens t-k+1..t, so a value can be stored together with the key
    /// just before it (associative recall) without first learning a previous-token attention head,
    /// as the short convolutions of H3, Based and Mamba do. 1 = off. Default 2.
    /// </summary>
    [JsonPropertyName("write_conv"), ConfigRange(1, 64)]
    public int WriteConv { get; init; } = 2;

    /// <summary>
    /// Rows the causal layer writes to the slots: "output" (each chunk's outputs; the sequential
    /// form, one round of matrix products per chunk) or "input" (the layer's input; the parallel
    /// form: one batched pass for the write, the read, the out projection and the FFN, and a loop
    /// only over the slot update). Non-causal mode always writes from the input. Default "input"
    /// (since 2026-12-04; docs/parallel-form.md has the measurements). A run folder whose
    /// config.json has no write_source was written before the key existed and loads as "output".
    /// </summary>
    [JsonPropertyName("write_source")]
    public NsmWriteSource WriteSource { get; init; } = NsmWriteSource.Input;

    /// <summary>
    /// Per-slot update rule: "gru" (update scaled by the write mass, g = 1 - exp(-m)), "lstm" (an LSTM
    /// cell with its own cell state), "linear" (S = f*S + (1-f)*U with data-dependent f), "decay" (the
    /// same with f from the candidate only, a linear recurrence: the parallel form's loop is one
    /// multiply-add per chunk). Every rule is scaled by g, so a slot nobody wrote to keeps its content.
    /// Default "decay" (since 2026-12-04; "gru" before).
    /// </summary>
    [JsonPropertyName("propagator")]
    public NsmPropagator Propagator { get; init; } = NsmPropagator.Decay;

    /// <summary>State-to-state communication after each write: "none", "dense" (multi-head self-attention among active slots) or "topk" (each slot attends to its communication_top_k best slots). Default "dense".</summary>
    [JsonPropertyName("communication")]
    public NsmCommunication Communication { get; init; } = NsmCommunication.Dense;

    /// <summary>Slots each slot attends to with communication = "topk". Default 4.</summary>
    [JsonPropertyName("communication_top_k"), ConfigRange(1, 4096)]
    public int CommunicationTopK { get; init; } = 4;

    /// <summary>Hidden width of the slots' SwiGLU after communication, as a multiple of d_model; 0 = no state FFN. Default 1.</summary>
    [JsonPropertyName("state_ffn_mult"), ConfigRange(0, 64)]
    public double StateFfnMult { get; init; } = 1.0;

    /// <summary>
    /// Activation checkpointing in training: keep only each layer's input and recompute the layer
    /// in the backward pass, for about one more forward pass per step and far less memory (the
    /// intermediates of one layer at a time). The same losses and gradients as without. Needs
    /// cross_layer_states = false. Default false.
    /// </summary>
    [JsonPropertyName("recompute")]
    public bool Recompute { get; init; }

    /// <summary>The write of layer l+1 also takes the updated slots of layer l for the same chunk (still causal). Default false.</summary>
    [JsonPropertyName("cross_layer_states")]
    public bool CrossLayerStates { get; init; }

    /// <summary>Initial slot importance logit theta (importance = sigmoid(theta); 3 gives 0.95). Default 3.</summary>
    [JsonPropertyName("importance_init"), ConfigRange(-20, 20)]
    public double ImportanceInit { get; init; } = 3.0;

    /// <summary>Weight of the L1 penalty on slot importances (mean over active slots, summed over layers); 0 = none. Default 0.</summary>
    [JsonPropertyName("importance_l1"), ConfigRange(0, 100)]
    public double ImportanceL1 { get; init; }

    /// <summary>StateManager: deactivate slots whose importance sigmoid(theta) falls below this (0 = never prune). Default 0.</summary>
    [JsonPropertyName("prune_threshold"), ConfigRange(0, 1)]
    public double PruneThreshold { get; init; }

    /// <summary>StateManager: activate a free slot when the active slots' mean write-mass EMA exceeds this (0 = never allocate). Default 0.</summary>
    [JsonPropertyName("allocate_threshold"), ConfigRange(0, 1e6)]
    public double AllocateThreshold { get; init; }

    /// <summary>StateManager: decay of the usage EMAs (write mass and read attention mass per slot). Default 0.99.</summary>
    [JsonPropertyName("usage_decay"), ConfigRange(0, 0.999999)]
    public double UsageDecay { get; init; } = 0.99;

    /// <summary>
    /// StateManager: run pruning and allocation every this many training steps (0 = only when called).
    /// When on, the trainer holds only the active slots physically: pruned slots are removed from the
    /// tensors, allocated ones appended (up to max_states), and the optimizer state follows. Default 0.
    /// </summary>
    [JsonPropertyName("manage_states_every"), ConfigRange(0, 1e9)]
    public int ManageStatesEvery { get; init; }

    /// <summary>
    /// Hybrid stacks: one letter per layer, bottom first: N an NSM layer, T a full-attention
    /// layer (its streaming cache grows with the context), L a sliding-window attention layer
    /// (the NSM's local window without slots; constant memory). Empty (the default): every layer N.
    /// </summary>
    [JsonPropertyName("layer_pattern")]
    public string LayerPattern { get; init; } = "";

    /// <summary>
    /// Memory-augmented NSM: rows m of an external Neural Turing Machine memory per sample and NSM
    /// layer, written and read by heads driven by the slots once per chunk; the tokens of the
    /// next chunk read its rows and the read heads' vectors beside the slots. 0 (the default): no memory.
    /// </summary>
    [JsonPropertyName("memory_rows"), ConfigRange(0, 65536)]
    public int MemoryRows { get; init; }

    /// <summary>Width of each memory row (with memory_rows > 0). Default 16.</summary>
    [JsonPropertyName("memory_width"), ConfigRange(1, 4096)]
    public int MemoryWidth { get; init; } = 16;

    /// <summary>Write heads of the memory, each writing (erase, then add) once per chunk (with memory_rows > 0). Default 1.</summary>
    [JsonPropertyName("memory_writes_per_chunk"), ConfigRange(1, 64)]
    public int MemoryWritesPerChunk { get; init; } = 1;

    /// <summary>Read heads of the memory, each reading once per chunk after the writes (with memory_rows > 0); 0 = the tokens read only the rows. Default 1.</summary>
    [JsonPropertyName("memory_reads_per_chunk"), ConfigRange(0, 64)]
    public int MemoryReadsPerChunk { get; init; } = 1;

    /// <summary>The letter of each of the num_layers layers: LayerPattern, or all N when it is empty.</summary>
    public string Pattern(int numLayers) => LayerPattern.Length == 0 ? new string('N', numLayers) : LayerPattern;

    /// <summary>Slots that start active: initial_states, or num_states for 0.</summary>
    public int InitiallyActive => InitialStates > 0 ? InitialStates : NumStates;

    /// <summary>Slot capacity per layer: max_states, or the larger of num_states and the initially active slots for 0.</summary>
    public int Capacity => MaxStates > 0 ? MaxStates : Math.Max(NumStates, InitiallyActive);

    /// <summary>The rules that tie the NSM's keys to each other and to d_model and num_heads.</summary>
    public void Validate(ModelConfig model)
    {
        if (model.TargetParams == 0)
        {
            var (dim, heads) = (model.DModel, model.NumHeads);
            if (dim % heads != 0) throw new ConfigException($"'model.d_model' ({dim}) must be divisible by 'model.num_heads' ({heads})");
            if (dim % RouterHeads != 0) throw new ConfigException($"'model.d_model' ({dim}) must be divisible by 'model.router_heads' ({RouterHeads})");
            if (LocalAttention && dim / heads % 2 != 0)
                throw new ConfigException($"'model.d_model' / 'model.num_heads' = {dim / heads} must be even for rotary positions in the local attention");
        }
        if (Recompute && CrossLayerStates)
            throw new ConfigException("'model.recompute' needs 'model.cross_layer_states' = false (a recomputed layer passes only its output up)");
        if (InitiallyActive > Capacity)
            throw new ConfigException($"'model.max_states' = {Capacity} is smaller than the initially active slots ({InitiallyActive}, from 'model.initial_states' or 'model.num_states')");
        if (Communication == NsmCommunication.TopK && CommunicationTopK > Capacity)
            throw new ConfigException($"'model.communication_top_k' = {CommunicationTopK} exceeds the slots per layer ({Capacity}); use communication = \"dense\" or a smaller k");
        if (RouterTopK > Capacity)
            throw new ConfigException($"'model.router_top_k' = {RouterTopK} exceeds the slots per layer ({Capacity})");
        if (LayerPattern.Length > 0)
        {
            if (LayerPattern.FirstOrDefault(c => c is not ('N' or 'T' or 'L')) is var bad and not '\0')
                throw new ConfigException($"'model.layer_pattern' = \"{LayerPattern}\" has the letter '{bad}'; use N (NSM layer), T (full attention) or L (sliding-window attention)");
            if (LayerPattern.Length != model.NumLayers)
                throw new ConfigException($"'model.layer_pattern' = \"{LayerPattern}\" has {LayerPattern.Length} letters but 'model.num_layers' = {model.NumLayers}; give one letter per layer");
            if (!LayerPattern.Contains('N'))
                throw new ConfigException($"'model.layer_pattern' = \"{LayerPattern}\" has no N layer; an NSM needs at least one (use model.kind = \"transformer\" for attention only)");
        }
        if (RouterTopK > 0 && Router != NsmRouter.Token)
            throw new ConfigException("'model.router_top_k' applies to router = \"token\" only; set it to 0 or use the token router");
        if (RouterFloor > 0 && Router != NsmRouter.Token)
            throw new ConfigException("'model.router_floor' applies to router = \"token\" only; set it to 0 or use the token router");
    }
}
