using System.CommandLine;

namespace Nsm.Cli;

/// <summary>Where a command writes: the writers <see cref="CommandLine.Run"/> was given (the console unless a test passes its own).</summary>
public static class Invocation
{
    /// <summary>Standard output of this invocation.</summary>
    public static TextWriter Output(this ParseResult parse) => parse.InvocationConfiguration.Output;

    /// <summary>Standard error of this invocation (warnings and error lines).</summary>
    public static TextWriter ErrorOutput(this ParseResult parse) => parse.InvocationConfiguration.Error;

    /// <summary>The command line as typed after <c>nsm</c>, for reports; values with spaces are quoted.</summary>
    public static string CommandText(this ParseResult parse) =>
        "nsm" + string.Concat(parse.Tokens.Select(token => " " + Shell.Quote(token.Value)));
}
