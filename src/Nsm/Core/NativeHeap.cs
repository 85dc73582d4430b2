using System.Runtime.InteropServices;

namespace Nsm.Core;

/// <summary>
/// glibc's allocator and long streaming runs. By default glibc raises its mmap threshold to the
/// largest block freed so far (up to 32 MiB), after which tensors of a few MiB come from the heap
/// and freed ones stay in it: a streamed passkey evaluation grew from 478 MiB at 4k tokens to
/// 839 MiB at 64k with a model whose carried state does not grow (docs/long-context.md). A fixed
/// threshold (<c>M_MMAP_THRESHOLD</c>, which also switches the raising off) maps every block above
/// 128 KiB on its own and returns it to the system when it is freed: 234 and 282 MiB. It costs a
/// fresh mapping per large tensor, so only streaming evaluation asks for it, not training.
/// </summary>
public static class NativeHeap
{
    private const int MmapThreshold = -3;        // M_MMAP_THRESHOLD in malloc.h
    private const int Threshold = 128 << 10;      // glibc's own starting value

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    /// <summary>
    /// Fixes glibc's mmap threshold at 128 KiB for the rest of the process. Returns whether it took
    /// effect (false off glibc, e.g. on Windows or macOS, where nothing is changed).
    /// </summary>
    public static bool ReturnLargeBlocks()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return MallOpt(MmapThreshold, Threshold) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;                         // a libc without mallopt (musl): leave it as it is
        }
    }
}
