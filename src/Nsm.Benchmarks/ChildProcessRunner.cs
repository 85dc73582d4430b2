using System.Diagnostics;
using Nsm.Core;

namespace Nsm.Benchmarks;

/// <summary>
/// How to start a fresh process that runs one cell: an executable and leading arguments, to
/// which <c>--cell SPEC --cell-out RESULT</c> are appended (for the CLI: <c>nsm scale</c>);
/// the worker calls <see cref="ChildProcessRunner.RunWorker"/>.
/// </summary>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> Arguments);

/// <summary>
/// Runs each cell in a fresh child process, so VmHWM is that measurement's own peak and a
/// runaway measurement can be stopped: the child is killed past its time budget (reported
/// as timeout) or when its resident memory passes the cap (reported as oom).
/// </summary>
public sealed class ChildProcessRunner(WorkerCommand worker, long maxResidentBytes, double startupSlackSeconds = 20)
{
    public const string Isolation = "process";

    public BenchmarkRecord Run(CellSpec spec)
    {
        var dir = Path.Combine(Path.GetTempPath(), "nsm-cell-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var specPath = Path.Combine(dir, "spec.json");
        var resultPath = Path.Combine(dir, "result.json");
        try
        {
            AtomicFile.WriteAllText(specPath, spec.ToJson());
            var start = new ProcessStartInfo(worker.FileName)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in worker.Arguments) start.ArgumentList.Add(a);
            start.Environment[ParentVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            foreach (var a in new[] { "--cell", specPath, "--cell-out", resultPath }) start.ArgumentList.Add(a);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {worker.FileName}");
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var limit = TimeSpan.FromSeconds(spec.HardLimitSeconds + startupSlackSeconds);
            var clock = Stopwatch.StartNew();
            long peakSeen = 0;
            string? killedFor = null;
            while (!process.WaitForExit(50))
            {
                if (ProcessMemory.Read(process.Id) is { } memory)
                {
                    peakSeen = Math.Max(peakSeen, Math.Max(memory.PeakBytes, memory.ResidentBytes));
                    if (maxResidentBytes > 0 && memory.ResidentBytes > maxResidentBytes) killedFor = MeasurementStatus.OutOfMemory;
                }
                if (clock.Elapsed > limit) killedFor = MeasurementStatus.Timeout;
                if (killedFor is not null)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit();
                    break;
                }
            }
            process.WaitForExit();
            var baseRecord = new BenchmarkRecord
            {
                Model = spec.Model.Kind,
                Mode = spec.Mode,
                Suite = spec.Suite,
                SeqLen = spec.Mode == ScaleModes.Generate ? null : spec.SeqLen,
                Context = spec.Mode == ScaleModes.Generate ? spec.Context : null,
                BatchSize = spec.Mode == ScaleModes.Generate ? 1 : spec.BatchSize,
                MemoryIsolation = Isolation,
                PeakBytes = peakSeen > 0 ? peakSeen : null,
            };
            if (killedFor == MeasurementStatus.OutOfMemory)
                return baseRecord with { Status = killedFor, Note = $"stopped: resident memory passed the {maxResidentBytes / (double)(1L << 30):F1} GiB cap" };
            if (killedFor == MeasurementStatus.Timeout)
                return baseRecord with { Status = killedFor, Note = $"stopped after {clock.Elapsed.TotalSeconds:F0} s (budget {spec.BudgetSeconds:F0} s per measurement{(spec.Mode == ScaleModes.Generate ? $" + {spec.PrefillBudgetSeconds:F0} s for the context" : "")})" };
            if (process.ExitCode != 0 || !File.Exists(resultPath))
            {
                var message = (stderr.Result + stdout.Result).Trim().Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
                // 137 = SIGKILL, which is what the kernel's out-of-memory killer sends.
                var status = process.ExitCode == 137 || CellRunner.IsOutOfMemory(new InvalidOperationException(message)) ? MeasurementStatus.OutOfMemory : MeasurementStatus.Error;
                return baseRecord with { Status = status, Note = $"worker exited with code {process.ExitCode}: {message}" };
            }
            var records = BenchmarkRecord.Load(resultPath);
            return records.Count == 1 ? records[0] : throw new InvalidDataException($"{resultPath} should hold one record");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Environment variable through which a worker learns its parent's process id.</summary>
    public const string ParentVariable = "NSM_BENCH_PARENT_PID";

    /// <summary>The worker side: reads a spec file, measures in this (fresh) process, writes the record.</summary>
    public static void RunWorker(string specPath, string resultPath)
    {
        ExitWithParent();
        var spec = CellSpec.FromJson(File.ReadAllText(specPath));
        var record = CellRunner.Run(spec, Isolation);
        AtomicFile.WriteAllText(resultPath, BenchmarkRecord.Serialize([record]));
    }

    /// <summary>A worker whose parent benchmark was stopped ends too, instead of running on alone.</summary>
    private static void ExitWithParent()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(ParentVariable), out var parent)) return;
        var watcher = new Thread(() =>
        {
            while (Directory.Exists($"/proc/{parent}")) Thread.Sleep(1000);
            Environment.Exit(3);
        }) { IsBackground = true, Name = "parent watcher" };
        watcher.Start();
    }
}
