using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// Owns a layer's slots as a resource: the learned initial slots S_0 (s, d), the learned
/// importance logits theta (s), the active-slot mask (s) and usage statistics (EMAs of the
/// write mass and read attention mass each slot receives).
/// Importance sigmoid(theta_j) is used in the forward pass — log sigmoid(theta_j) is added to
/// the read and write logits of slot j and sigmoid(theta_j) multiplies its write mass — so it
/// gets gradients, and an L1 penalty can push unneeded slots down. Pruning deactivates slots
/// whose importance falls below a threshold; allocation activates a free slot when the active
/// ones are saturated; <see cref="Compact"/> physically removes inactive slots so that
/// inference with fewer slots costs less.
/// </summary>
public sealed class StateManager : nn.Module
{
    private readonly Parameter state_init;
    private readonly Parameter importance;
    private readonly Tensor active;
    private readonly Tensor write_usage;
    private readonly Tensor read_usage;
    private readonly double importanceInit;

    /// <param name="capacity">Slots allocated (max_states).</param>
    /// <param name="initiallyActive">Slots active at the start (the first ones).</param>
    /// <param name="dim">Slot width d.</param>
    /// <param name="importanceInit">Initial theta of every slot.</param>
    public StateManager(long capacity, long initiallyActive, long dim, double importanceInit) : base(nameof(StateManager))
    {
        if (initiallyActive < 1 || initiallyActive > capacity)
            throw new ArgumentOutOfRangeException(nameof(initiallyActive), $"active slots must be 1..{capacity}, got {initiallyActive}");
        this.importanceInit = importanceInit;
        // Small, like token embeddings: a slot's first write then dominates it (slots are read
        // through a normalisation, so their scale does not matter to readers).
        state_init = nn.Parameter(randn(capacity, dim) * 0.02);
        importance = nn.Parameter(full(capacity, importanceInit));
        active = arange(capacity).lt(initiallyActive);
        write_usage = zeros(capacity);
        read_usage = zeros(capacity);
        RegisterComponents();
    }

    /// <summary>Slots held (active or not): s.</summary>
    public long Capacity => state_init.shape[0];

    /// <summary>Number of active slots.</summary>
    public long NumActive => active.sum().item<long>();

    /// <summary>Active-slot mask (s) bool.</summary>
    public Tensor ActiveMask => active;

    /// <summary>Importance logits theta (s); the parameter itself.</summary>
    public Parameter Importance => importance;

    /// <summary>EMA of the write mass per slot (s).</summary>
    public Tensor WriteUsage => write_usage;

    /// <summary>EMA of the read attention mass per slot (s).</summary>
    public Tensor ReadUsage => read_usage;

    /// <summary>Initial slots for a batch: (B, s, d) fp32, the learned S_0 with its RMS clipped at 1 like every later slot state.</summary>
    public Tensor InitialSlots(long batch)
    {
        using var scope = NewDisposeScope();
        return NsmOps.ClipRms(state_init.to(ScalarType.Float32)).unsqueeze(0).expand(batch, -1, -1).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The per-slot terms of one forward pass (bias, write scale, masks); tensors live in the caller's dispose scope.</summary>
    public SlotContext Context()
    {
        var inactive = active.logical_not();
        var logitBias = nn.functional.logsigmoid(importance).masked_fill(inactive, NsmOps.Masked);
        var writeScale = importance.sigmoid().masked_fill(inactive, 0.0);
        return new SlotContext(logitBias, writeScale, inactive, active.to(ScalarType.Float32));
    }

    /// <summary>Mean importance sigmoid(theta) over active slots (scalar): the term of the L1 penalty.</summary>
    public Tensor ImportancePenalty()
    {
        using var scope = NewDisposeScope();
        var mask = active.to(importance.dtype);
        return ((importance.sigmoid() * mask).sum() / mask.sum().clamp_min(1)).MoveToOuterDisposeScope();
    }

    /// <summary>Folds one forward pass's mean write mass (s) and read mass (s) into the usage EMAs; a null statistic is left as it is.</summary>
    public void RecordUsage(Tensor? writeMass, Tensor? readMass, double decay)
    {
        using var noGrad = no_grad();
        if (writeMass is not null) write_usage.mul_(decay).add_(writeMass.detach(), alpha: 1 - decay);
        if (readMass is not null) read_usage.mul_(decay).add_(readMass.detach(), alpha: 1 - decay);
    }

    /// <summary>
    /// Deactivates active slots with sigmoid(theta) below threshold, always keeping the most
    /// important one. Returns the number of slots deactivated.
    /// </summary>
    public int Prune(double threshold)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var before = NumActive;
        var score = importance.sigmoid().masked_fill(active.logical_not(), -1.0);
        var keep = score.ge(threshold);
        keep[score.argmax()] = tensor(true);
        active.logical_and_(keep);
        return (int)(before - NumActive);
    }

    /// <summary>
    /// Activates the first inactive slot when the mean write-usage EMA of the active slots
    /// exceeds threshold; the new slot starts at the initial importance with fresh statistics.
    /// Returns whether a slot was activated.
    /// </summary>
    public bool Allocate(double threshold)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var free = active.logical_not().nonzero();
        if (free.shape[0] == 0) return false;
        var mask = active.to(ScalarType.Float32);
        var saturation = (write_usage * mask).sum().item<float>() / Math.Max(1, mask.sum().item<float>());
        if (saturation <= threshold) return false;
        var slot = free[0, 0].item<long>();
        active[slot] = tensor(true);
        importance[slot] = tensor((float)importanceInit);
        write_usage[slot] = tensor(0f);
        read_usage[slot] = tensor(0f);
        return true;
    }

    /// <summary>
    /// Removes inactive slots from every tensor this manager owns and returns the indices (s')
    /// of the slots kept, in order, so the owning layer can slice its other per-slot tensors.
    /// Parameters change shape in place: optimizer state for them is invalid afterwards
    /// (compaction is meant for inference).
    /// </summary>
    public Tensor Compact()
    {
        using var noGrad = no_grad();
        var keep = active.nonzero().squeeze(1);
        Slice(state_init, keep);
        Slice(importance, keep);
        Slice(active, keep);
        Slice(write_usage, keep);
        Slice(read_usage, keep);
        return keep;
    }

    /// <summary>Keeps rows keep (s') of a per-slot tensor along dimension dim, in place.</summary>
    internal static void Slice(Tensor target, Tensor keep, long dim = 0)
    {
        using var noGrad = no_grad();
        // set_ shares kept's storage, so disposing the kept handle leaves the data alive.
        using var kept = target.index_select(dim, keep).contiguous();
        target.set_(kept);
        if (target is Parameter p) p.grad = null;
    }
}
