using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Nsm.Benchmarks;

/// <summary>Where and with what a benchmark ran; written into every result record.</summary>
public sealed record MachineInfo
{
    [JsonPropertyName("cpu_model")] public string CpuModel { get; init; } = "";
    [JsonPropertyName("logical_cores")] public int LogicalCores { get; init; }
    [JsonPropertyName("memory_bytes")] public long MemoryBytes { get; init; }
    [JsonPropertyName("os")] public string Os { get; init; } = "";
    [JsonPropertyName("dotnet")] public string DotNet { get; init; } = "";
    [JsonPropertyName("torchsharp")] public string TorchSharp { get; init; } = "";
    /// <summary>libtorch intra-op threads used by the measurement.</summary>
    [JsonPropertyName("threads")] public int Threads { get; init; }
    [JsonPropertyName("git_commit")] public string GitCommit { get; init; } = "";
    [JsonPropertyName("date_utc")] public string DateUtc { get; init; } = "";
    /// <summary>1-minute load average when the info was collected (other jobs on the cores make timings noisy); null where unknown.</summary>
    [JsonPropertyName("load_average")] public double? LoadAverage { get; init; }

    /// <summary>One line for reports: "AMD EPYC, 2 cores, 23.4 GiB, 2 threads, .NET 10.0.0, TorchSharp 0.107.0".</summary>
    public string Describe() =>
        $"{CpuModel}, {LogicalCores} logical cores, {MemoryBytes / (double)(1L << 30):F1} GiB RAM, {Os}; " +
        $"{Threads} libtorch threads; {DotNet}; TorchSharp {TorchSharp}; commit {GitCommit}" +
        (LoadAverage is { } load ? $"; load average {load.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} at the start" : "");

    /// <summary>Collects the facts of this machine and process now.</summary>
    public static MachineInfo Collect() => new()
    {
        CpuModel = CpuName(),
        LogicalCores = Environment.ProcessorCount,
        MemoryBytes = TotalMemory(),
        Os = RuntimeInformation.OSDescription,
        DotNet = RuntimeInformation.FrameworkDescription,
        TorchSharp = typeof(global::TorchSharp.torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                     ?? typeof(global::TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown",
        Threads = global::TorchSharp.torch.get_num_threads(),
        GitCommit = GitCommitOf(Directory.GetCurrentDirectory()),
        DateUtc = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture),
        LoadAverage = LoadAverageNow(),
    };

    private static double? LoadAverageNow()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.TryParse(first, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var load) ? load : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string CpuName()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static long TotalMemory()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out var kb)) return kb * 1024;
        }
        catch (IOException)
        {
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>The commit checked out in the repository holding dir ("+dirty" when files differ), or "unknown".</summary>
    public static string GitCommitOf(string dir)
    {
        var commit = Git(dir, "rev-parse --short=12 HEAD");
        if (commit is null) return "unknown";
        var status = Git(dir, "status --porcelain --untracked-files=no");
        return string.IsNullOrWhiteSpace(status) ? commit : commit + "+dirty";
    }

    private static string? Git(string dir, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("git", arguments)
            {
                WorkingDirectory = dir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null) return null;
            var text = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
