using System.Diagnostics;

namespace Nsm.Tests.Support;

/// <summary>Runs a program outside the test process, with a time limit, and captures what it printed.</summary>
public static class ExternalProcess
{
    public sealed record Result(int Code, string Output, string Error)
    {
        /// <summary>Both streams, for assertion messages.</summary>
        public string Printed => $"stdout:\n{Output}\nstderr:\n{Error}";
    }

    /// <summary>The repository root (the folder holding Nsm.slnx) above the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Nsm.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("no Nsm.slnx above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Starts program with args in workingDirectory; fails the test when it cannot start or runs
    /// past the limit (the process tree is killed then). env entries with a null value are removed.
    /// </summary>
    public static Result Run(string program, IEnumerable<string> args, string workingDirectory, TimeSpan limit,
        IReadOnlyDictionary<string, string?>? env = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in env ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', args)} did not finish in {limit.TotalSeconds:F0} s");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
