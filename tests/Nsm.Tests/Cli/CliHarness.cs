using System.Text.RegularExpressions;
using Nsm.Cli;

namespace Nsm.Tests.Cli;

/// <summary>Runs one nsm command line in process and captures what it writes.</summary>
public static class CliHarness
{
    public sealed record Result(int Code, string Output, string Error)
    {
        /// <summary>The output with every run of whitespace as one space, so wrapped help lines read as one.</summary>
        public string FlatOutput => Regex.Replace(Output, @"\s+", " ");

        public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static Result Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CommandLine.Run(args, error, output);
        return new Result(code, output.ToString(), error.ToString());
    }

    /// <summary>Splits a command line the tool printed (words, or words in single quotes) into arguments after "nsm".</summary>
    public static string[] Words(string commandLine)
    {
        var words = Regex.Matches(commandLine, @"'([^']*)'|(\S+)").Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToArray();
        Assert.Equal("nsm", words[0]);
        return words[1..];
    }
}
