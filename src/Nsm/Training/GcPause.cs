using System.Runtime;

namespace Nsm.Training;

/// <summary>
/// Keeps the .NET garbage collector from running in the middle of tensor work: a pause is a .NET
/// no-GC region held across a loop (training steps, evaluation batches, generated tokens), and
/// <see cref="Renew"/>, called between iterations, collects there — at a point where no native
/// call is running — once most of the region's allocation budget is used. Collections thus
/// happen about as often as without a pause, but only between iterations.
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
public sealed class GcPause : IDisposable
{
    /// <summary>Managed bytes a region may hold: 64 MiB.</summary>
    public const long DefaultBudget = 64L << 20;

    /// <summary>Renew when less than this is left of the budget: 16 MiB.</summary>
    public const long DefaultReserve = 16L << 20;

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
            if (GC.TryStartNoGCRegion(budget, disallowFullBlockingGC: true))
                regionStart = GC.GetTotalAllocatedBytes(precise: false);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
        {
            // A region opened by other code, or a budget this runtime cannot give: run unprotected.
        }
    }
}
