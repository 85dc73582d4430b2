using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace Nsm.Cli;

/// <summary><c>nsm --version</c>: "nsm 0.1.0+&lt;commit&gt;" (the commit is read at build time, "unknown" without git).</summary>
public sealed class VersionAction : SynchronousCommandLineAction
{
    /// <summary>The informational version of this program: the package version, '+' and the short commit.</summary>
    public static string Version { get; } =
        typeof(VersionAction).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public override int Invoke(ParseResult parseResult)
    {
        parseResult.Output().WriteLine($"nsm {Version}");
        return 0;
    }
}
