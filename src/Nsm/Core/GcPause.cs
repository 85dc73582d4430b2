using System.Runtime;

namespace Nsm.Core;

/// <summary>
/// Keeps the .NET garbage collector from running in the middle of tensor work: a pause is a .NET
/// no-GC region held across a loop (training steps, evaluation batches, generated tokens), and
/// <see cref="Renew"/>, called between iterations, collects there — at a point where no native
/// call is running — once most of the region's allocation budget is used. Collections thus
/// happen about as often as without a pause, but only between iterations. Each renewal is a full
/// collection: with ephemeral ones only (<c>disallowFullBlockingGC</c>), gen2 and the native memory
/// its dead wrappers hold grew without bound (1.0 GB after 1,000 Fashion-MNIST steps, 1.7 GB after
/// 3,000, 12 GB after 13,000); with full ones the process peaked at 0.66 / 0.82 / 0.82 GB after
/// 1,000 / 3,000 / 6,000 steps (0.55 GB without pauses) at 2.8% lower speed (35.0k vs 36.0k tokens/s).
///
/// Why: TorchSharp hands libtorch the native handle of a <c>Scalar</c> (every <c>x * 0.5</c>, every
/// optimizer update) and lets the managed wrapper become unreachable while the native call runs.
/// If a collection happens in that window, the finalizer frees the native scalar while libtorch
/// still reads it, and the operation fails with "Unknown scalar type." or "Expected false to be
/// true" (TorchSharp PRs #1434, #1496). It surfaced as rare failures minutes into long training
/// runs; a stress loop of <c>x * 0.5; y + 1.5</c> reproduced it within 10-30 thousand operations
/// whenever a second thread allocated, and ran 800,000 operations clean inside no-GC regions
/// (GcPauseTests keeps that loop as a slow test). An iteration that allocates more than the
/// remaining budget makes the runtime collect anyway (that iteration is unprotected, as without
/// a pause).
///
/// One region at a time per process: a pause started while another is held (an evaluation inside
/// a training loop) shares the outer one's region, and its <see cref="Renew"/> renews that region.
/// Use it on the thread that runs the tensor work.
/// </summary>
internal sealed class GcPause : IDisposable
{
    /// <summary>Managed bytes a region may hold: 32 MiB (larger budgets measured slower and bigger: 256 MiB gave 1.4 GB).</summary>
    public const long DefaultBudget = 32L << 20;

    /// <summary>Renew when less than this is left of the budget: 8 MiB.</summary>
    public const long DefaultReserve = 8L << 20;

    private static GcPause? holder;

    private readonly long budget;
    private readonly long reserve;
    private bool owner;
    private long regionStart;

    private GcPause(long budget, long reserve)
    {
        this.budget = budget;
        this.reserve = reserve;
        owner = Enabled && Interlocked.CompareExchange(ref holder, this, null) is null;
        if (owner) Open();
    }

    /// <summary>Set NSM_GC_PAUSE=0 to run without pauses (for comparison).</summary>
    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("NSM_GC_PAUSE") != "0";

    /// <summary>Whether a no-GC region is held now (by this pause or the one it shares).</summary>
    public bool Active => (owner || holder is not null) && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;

    /// <summary>Opens a pause; dispose it to end the region.</summary>
    public static GcPause Start(long budgetBytes = DefaultBudget, long reserveBytes = DefaultReserve)
    {
        if (reserveBytes <= 0 || reserveBytes >= budgetBytes)
            throw new ArgumentOutOfRangeException(nameof(reserveBytes), $"reserve must be in 1..budget-1, got {reserveBytes} for a budget of {budgetBytes}");
        return new GcPause(budgetBytes, reserveBytes);
    }

    /// <summary>
    /// Call between iterations: when the region ended (its budget ran out) or less than the
    /// reserve is left, collect now and open a fresh region.
    /// </summary>
    public void Renew()
    {
        if (!owner)
        {
            if (Volatile.Read(ref holder) is { } outer && outer != this) outer.Renew();
            return;
        }
        var inRegion = GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;
        if (inRegion && GC.GetTotalAllocatedBytes(precise: false) - regionStart < budget - reserve) return;
        if (inRegion) GC.EndNoGCRegion();
        // The collection that opening a region makes did not get the dead wrappers finalized:
        // with it alone, the native tensors of every undisposed wrapper stayed allocated and a
        // 10,000-step NSM run grew from 1.2 GB at step 1,000 to 9.7 GB (bench/soak.sh). An
        // ordinary full collection and a wait for the finalizers, here between iterations where
        // no native call runs, free them (docs/reliability.md, "Soak").
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Open();
    }

    public void Dispose()
    {
        if (!owner) return;
        // The runtime ends the region itself when the budget ran out; ending it again would throw.
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        owner = false;
        Volatile.Write(ref holder, null);
    }

    private void Open()
    {
        try
        {
            if (GC.TryStartNoGCRegion(budget, disallowFullBlockingGC: false))
                regionStart = GC.GetTotalAllocatedBytes(precise: false);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
        {
            // A region opened by other code, or a budget this runtime cannot give: run unprotected.
        }
    }
}
