using System.Reflection;
using Nsm.Benchmarks;

namespace Nsm.Cli.Commands;

/// <summary>How the benchmark commands start this program again as a measurement worker (<c>nsm scale --cell SPEC --cell-out RESULT</c>).</summary>
public static class WorkerProcess
{
    /// <summary>This program with the <c>scale</c> command; the runner appends <c>--cell SPEC --cell-out RESULT</c>.</summary>
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
