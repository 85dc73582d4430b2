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
/// ones are saturated; <see cref="Resize"/> rebuilds the tensors with other slots (inactive ones
/// removed, new ones appended), so that a model with fewer slots really computes less.
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
    /// Whether the active slots are saturated: the mean write-usage EMA over them exceeds threshold.
    /// </summary>
    public bool Saturated(double threshold)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var mask = active.to(ScalarType.Float32);
        var saturation = (write_usage * mask).sum().item<float>() / Math.Max(1, mask.sum().item<float>());
        return saturation > threshold;
    }

    /// <summary>
    /// Activates the first inactive slot when the active ones are saturated (<see cref="Saturated"/>);
    /// the new slot starts at the initial importance with fresh statistics. Returns whether a slot
    /// was activated.
    /// </summary>
    public bool Allocate(double threshold)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var free = active.logical_not().nonzero();
        if (free.shape[0] == 0 || !Saturated(threshold)) return false;
        var slot = free[0, 0].item<long>();
        active[slot] = tensor(true);
        importance[slot] = tensor((float)importanceInit);
        write_usage[slot] = tensor(0f);
        read_usage[slot] = tensor(0f);
        return true;
    }

    /// <summary>Marks every slot held active.</summary>
    public void ActivateAll()
    {
        using var noGrad = no_grad();
        active.fill_(true);
    }

    /// <summary>Indices of the active slots, in order.</summary>
    public long[] ActiveRows()
    {
        using var scope = NewDisposeScope();
        return active.nonzero().squeeze(1).cpu().data<long>().ToArray();
    }

    /// <summary>
    /// Rebuilds every tensor this manager owns with the slots source (s_new): slot j of the
    /// result is old slot source[j], or a new active slot for -1 (a fresh initial state like the
    /// constructor's, the initial importance, zero usage). Parameters change shape in place, so
    /// the optimizer must move its state for them with the returned remaps.
    /// </summary>
    public IReadOnlyList<SlotRemap> Resize(long[] source)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var fresh = source.Count(i => i < 0);
        Replace(state_init, source, fresh > 0 ? randn(fresh, state_init.shape[1], device: state_init.device) * 0.02 : null);
        Replace(importance, source, fresh > 0 ? full(fresh, importanceInit, device: importance.device) : null);
        Replace(active, source, fresh > 0 ? ones(fresh, ScalarType.Bool, active.device) : null);
        Replace(write_usage, source, null);
        Replace(read_usage, source, null);
        return [new SlotRemap(state_init, 1, source), new SlotRemap(importance, 1, source)];
    }

    /// <summary>
    /// Sets target (s_old x groups of rows along dimension 0) to its rows source, new rows (-1)
    /// taken in order from fresh (zero when null), in place; a parameter loses its gradient.
    /// </summary>
    internal static void Replace(Tensor target, long[] source, Tensor? fresh, long groups = 1)
    {
        using var noGrad = no_grad();
        var rows = SlotRemap.Rows(target, groups, source);
        if (fresh is not null)
        {
            // fresh: (groups x new slots, ...), filled into the -1 positions of every group.
            var perGroup = source.LongLength;
            var newRows = source.Select((s, j) => (s, j)).Where(x => x.s < 0).Select(x => (long)x.j).ToArray();
            var grouped = rows.view([groups, perGroup, .. rows.shape[1..]]);
            using var at = tensor(newRows, device: rows.device);
            grouped.index_copy_(1, at, fresh.to(rows.dtype).view([groups, newRows.LongLength, .. rows.shape[1..]]));
        }
        // set_ shares rows's storage, so disposing the rows handle leaves the data alive.
        target.set_(rows);
        rows.Dispose();
        if (target is Parameter p) p.grad = null;
    }
}
