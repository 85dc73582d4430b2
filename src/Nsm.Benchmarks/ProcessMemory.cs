using System.Runtime.InteropServices;

namespace Nsm.Benchmarks;

/// <summary>Resident and peak memory of this process, from /proc/self/status (Linux).</summary>
/// <param name="ResidentBytes">VmRSS: memory resident now.</param>
/// <param name="PeakBytes">VmHWM: the largest VmRSS since the process started or since the last <see cref="ProcessMemory.ResetPeak"/>.</param>
public sealed record MemorySample(long ResidentBytes, long PeakBytes);

/// <summary>
/// Reads process memory. VmHWM is process-wide and only grows, so a benchmark either runs
/// each measurement in a fresh child process or resets the mark with <see cref="ResetPeak"/>
/// (writing "5" to /proc/self/clear_refs sets VmHWM to the current VmRSS).
/// </summary>
public static class ProcessMemory
{
    public static bool Available => File.Exists("/proc/self/status");

    /// <summary>Current and peak resident memory; zeros where /proc is missing.</summary>
    public static MemorySample Read() => Available ? Parse(File.ReadAllText("/proc/self/status")) : new MemorySample(0, 0);

    /// <summary>Reads another process's memory (for the child-process runner); null once it has exited.</summary>
    public static MemorySample? Read(int processId)
    {
        try
        {
            return Parse(File.ReadAllText($"/proc/{processId}/status"));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Parses the VmRSS and VmHWM lines (kB) of a /proc status file.</summary>
    public static MemorySample Parse(string status)
    {
        long rss = 0, hwm = 0;
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kilobytes(line);
        }
        return new MemorySample(rss, hwm);
    }

    /// <summary>
    /// Returns freed heap memory to the system (glibc malloc_trim) and sets the peak mark to
    /// the current resident size. False where the kernel refuses (then peaks are since start).
    /// </summary>
    public static bool ResetPeak()
    {
        if (!Available) return false;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        TrimHeap();
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Gives free glibc heap pages back to the kernel, so RSS reflects live memory.</summary>
    public static void TrimHeap()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            malloc_trim(0);
        }
        catch (DllNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to trim.
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    // DllImport rather than LibraryImport: the latter needs unsafe code enabled for the whole library.
    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    private static long Kilobytes(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && long.TryParse(parts[1], out var kb) ? kb * 1024 : 0;
    }
}
