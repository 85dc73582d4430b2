using System.Diagnostics;

namespace Nsm.Tests.Python;

/// <summary>
/// A fact that runs only where a python3 with numpy exists (.ci/run installs Debian's
/// python3-numpy when it is missing); elsewhere it is skipped with a message saying what to install.
/// </summary>
public sealed class PythonNumpyFactAttribute : FactAttribute
{
    public PythonNumpyFactAttribute()
    {
        if (PythonNumpy.Interpreter is null)
            Skip = "needs python3 with numpy (Debian: apt-get install -y python3-numpy); none of "
                + string.Join(", ", PythonNumpy.Candidates) + " imports numpy";
    }
}

/// <summary>Finds the first python3 that imports numpy, once per test run.</summary>
public static class PythonNumpy
{
    /// <summary>The one on the PATH first, then Debian's own, which apt's python3-numpy serves even when a pyenv python3 is first on the PATH.</summary>
    public static readonly string[] Candidates = ["python3", "/usr/bin/python3"];

    private static readonly Lazy<string?> Found = new(() => Candidates.FirstOrDefault(ImportsNumpy));

    /// <summary>The interpreter to run, or null when no candidate has numpy.</summary>
    public static string? Interpreter => Found.Value;

    private static bool ImportsNumpy(string python)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(python, ["-c", "import numpy"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            process.StandardOutput.ReadToEndAsync();
            process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(30_000))
            {
                process.Kill();
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
