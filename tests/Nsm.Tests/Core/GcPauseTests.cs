using System.Runtime;
using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Tests.Core;

public sealed class GcPauseTests
{
    [Fact]
    public void NoCollectionHappensInsideAPauseAndTheRegionEndsWithIt()
    {
        var pause = GcPause.Start();
        Assert.True(pause.Active, "the runtime refused a no-GC region of the default budget");
        var before = GC.CollectionCount(0);
        Garbage(100_000);                                                   // ~13 MB: several gen0 budgets, under the 32 MiB budget
        Assert.Equal(before, GC.CollectionCount(0));
        pause.Dispose();
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    [Fact]
    public void RenewCollectsOnlyWhenTheReserveIsReached()
    {
        using var pause = GcPause.Start(budgetBytes: 32L << 20, reserveBytes: 16L << 20);
        var before = GC.CollectionCount(0);
        Garbage(40_000);                                                    // ~5 MB used of 16 MB allowed before renewing
        pause.Renew();
        Assert.Equal(before, GC.CollectionCount(0));
        Garbage(120_000);                                                   // now past budget - reserve
        pause.Renew();
        Assert.True(GC.CollectionCount(0) > before, "renewing past the reserve should collect");
        Assert.True(pause.Active);
    }

    [Fact]
    public void ANestedPauseSharesTheOuterRegion()
    {
        using var outer = GcPause.Start();
        using (var inner = GcPause.Start())
        {
            Assert.True(inner.Active);
            inner.Renew();
        }
        Assert.True(outer.Active, "disposing the nested pause must not end the outer region");
    }

    [Fact]
    public void APauseWhoseBudgetRanOutRecoversOnRenewAndClosesWithoutThrowing()
    {
        var pause = GcPause.Start(budgetBytes: 2L << 20, reserveBytes: 1L << 20);
        Garbage(50_000);                                                    // 6 MB > 2 MiB: the runtime ends the region
        pause.Renew();
        Assert.True(pause.Active);
        pause.Dispose();
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    [Fact]
    public void BadReserveIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GcPause.Start(budgetBytes: 1 << 20, reserveBytes: 1 << 20));
    }

    /// <summary>
    /// The failure the pause exists for: tensor-scalar operations while another thread allocates.
    /// Without a pause this loop fails within tens of thousands of operations ("Unknown scalar type.").
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void ScalarOperationsInsideAPauseSurviveAnAllocatingThread()
    {
        var stop = false;
        var allocator = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.KeepAlive(new byte[1024]);
                Thread.SpinWait(50);
            }
        });
        allocator.Start();
        try
        {
            using var x = ones(4);
            using var pause = GcPause.Start();
            for (var block = 0; block < 200; block++)
            {
                pause.Renew();
                using var scope = NewDisposeScope();
                for (var i = 0; i < 1000; i++)
                {
                    var y = x * 0.5;
                    _ = y + 1.5;
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            allocator.Join();
        }
    }

    private static void Garbage(int arrays)
    {
        for (var i = 0; i < arrays; i++) GC.KeepAlive(new byte[100]);
    }
}
