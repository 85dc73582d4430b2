using System.Globalization;
using System.Reflection;
using Nsm.Benchmarks;

namespace Nsm.Cli.Commands;

/// <summary>Parsing helpers shared by the benchmark commands (scale, bench, stream, report).</summary>
public static class BenchmarkArguments
{
    /// <summary>Comma-separated list option, or the fallback when absent.</summary>
    public static IReadOnlyList<string> List(Arguments a, string name, IReadOnlyList<string> fallback) =>
        a.Get(name) is { } text ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : fallback;

    /// <summary>Comma-separated positive integers ("256,1024,4k,64k" also accepted).</summary>
    public static IReadOnlyList<int> Ints(Arguments a, string name, IReadOnlyList<int> fallback)
    {
        if (a.Get(name) is not { } text) return fallback;
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(item =>
        {
            var multiplier = item.EndsWith('k') ? 1024 : item.EndsWith('M') ? 1024 * 1024 : 1;
            var digits = multiplier == 1 ? item : item[..^1];
            if (!int.TryParse(digits, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value <= 0)
                throw new UsageException($"option '--{name}' must be comma-separated positive integers (e.g. 256,1k,64k), got '{item}'");
            return value * multiplier;
        }).ToList();
    }

    /// <summary>The command line as typed, for reports.</summary>
    public static string CommandLine(string command, IEnumerable<string> args) =>
        "nsm " + command + string.Concat(args.Select(x => " " + (x.Contains(' ') ? $"'{x}'" : x)));

    /// <summary>How to start this program again as a measurement worker.</summary>
    public static WorkerCommand Self()
    {
        var exe = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path to start worker processes");
        var entry = Assembly.GetEntryAssembly()?.Location;
        // Under `dotnet Nsm.Cli.dll` the process is the dotnet host; the program is the entry assembly.
        return Path.GetFileNameWithoutExtension(exe) == "dotnet" && !string.IsNullOrEmpty(entry)
            ? new WorkerCommand(exe, [entry, "scale"])
            : new WorkerCommand(exe, ["scale"]);
    }
}
