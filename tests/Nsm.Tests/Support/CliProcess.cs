using System.Diagnostics;

namespace Nsm.Tests.Support;

/// <summary>
/// The built nsm tool (Nsm.Cli.dll, copied beside the tests by the project reference) as a
/// separate OS process, for tests that must kill it or need a process of their own.
/// </summary>
public static class CliProcess
{
    public static string ToolPath => Path.Combine(AppContext.BaseDirectory, "Nsm.Cli.dll");

    /// <summary>Starts <c>dotnet Nsm.Cli.dll args</c> with extra environment variables; its output is read (and dropped) as it comes.</summary>
    public static Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ToolPath);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs the tool to its end (at most timeout); returns the exit code and what it wrote.</summary>
    public static (int Code, string Output, string Error) Run(IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ToolPath);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"nsm {string.Join(' ', args)} ran longer than {timeout}");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
