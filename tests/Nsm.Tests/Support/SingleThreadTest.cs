using TorchSharp;

namespace Nsm.Tests.Support;

/// <summary>
/// Base of the baseline test classes: each test runs on one libtorch intra-op thread and the
/// previous count is restored afterwards. The tiny tensors here gain nothing from a second
/// thread, and on the shared 2-core machine OpenMP's spinning threads made these tests several
/// times slower whenever other jobs held the cores.
/// </summary>
public abstract class SingleThreadTest : IDisposable
{
    private readonly int previous;

    protected SingleThreadTest()
    {
        previous = torch.get_num_threads();
        torch.set_num_threads(1);
    }

    public void Dispose() => torch.set_num_threads(previous);
}
