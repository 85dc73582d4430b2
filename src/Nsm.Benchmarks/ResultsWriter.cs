using System.Text;
using Nsm.Core;

namespace Nsm.Benchmarks;

/// <summary>Writes a benchmark's output folder: results.json, report.md (charts are written by the reports).</summary>
public static class ResultsWriter
{
    public const string ResultsFile = "results.json";
    public const string ReportFile = "report.md";

    /// <summary>Writes results.json and report.md (title, machine, date, command, then the body) atomically.</summary>
    public static void Write(string outDir, IReadOnlyList<BenchmarkRecord> records, string title, string body)
    {
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, ResultsFile), BenchmarkRecord.Serialize(records));
        AtomicFile.WriteAllText(Path.Combine(outDir, ReportFile), $"# {title}\n\n{Header(records)}\n{body}");
    }

    /// <summary>Machine and date lines, then (unless machineOnly) the commands and the memory isolation.</summary>
    public static string Header(IReadOnlyList<BenchmarkRecord> records, bool machineOnly = false)
    {
        var text = new StringBuilder();
        // One machine/commit/date line per distinct run; a page assembled from suites measured at
        // different times names the suites of each, so no number is shown under the wrong commit.
        var runs = records.Where(r => r.Machine is not null)
            .GroupBy(r => (Describe: r.Machine!.Describe(), r.Machine.DateUtc))
            .Select(g => (g.Key.Describe, g.Key.DateUtc, Suites: g.Select(r => r.Suite).Where(x => x.Length > 0).Distinct().ToList()))
            .ToList();
        foreach (var run in runs)
        {
            var suites = runs.Count > 1 && run.Suites.Count > 0 ? $" (suites: {string.Join(", ", run.Suites)})" : "";
            text.AppendLine($"- Machine: {run.Describe}{suites}");
            text.AppendLine($"- Date: {run.DateUtc}");
        }
        if (machineOnly) return text.ToString();
        foreach (var command in records.Select(r => r.Command).Where(c => !string.IsNullOrEmpty(c)).Distinct())
            text.AppendLine($"- Command: `{command}`");
        var isolation = records.Select(r => r.MemoryIsolation).Where(i => i is not null).Distinct().ToList();
        if (isolation.Count > 0)
            text.AppendLine($"- Peak memory: {string.Join(", ", isolation.Select(DescribeIsolation))}");
        return text.ToString();
    }

    public static string DescribeIsolation(string? isolation) => isolation switch
    {
        ChildProcessRunner.Isolation => "each measurement in a fresh child process (VmHWM of that process, mark reset after the model is built)",
        "clear_refs" => "measurements share one process; the VmHWM mark is reset before each (writing 5 to /proc/self/clear_refs after malloc_trim)",
        _ => isolation ?? "",
    };
}
