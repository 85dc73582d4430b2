using System.CommandLine;
using System.Text.RegularExpressions;
using Nsm.Cli;

namespace Nsm.Tests.Cli;

public sealed class HelpTests
{
    /// <summary>Every command of the tree as its path after "nsm" ("config show"), the root as "".</summary>
    public static List<string> CommandPaths()
    {
        var paths = new List<string>();
        void Walk(Command command, string path)
        {
            paths.Add(path);
            foreach (var sub in command.Subcommands) Walk(sub, (path + " " + sub.Name).Trim());
        }
        Walk(CommandLine.Create(), "");
        return paths;
    }

    public static TheoryData<string> Commands() => new(CommandPaths());

    private static Command Find(string path) =>
        path.Split(' ', StringSplitOptions.RemoveEmptyEntries).Aggregate((Command)CommandLine.Create(), (c, name) => c.Subcommands.Single(s => s.Name == name));

    [Fact]
    public void TheTreeHoldsEveryCommandOfTheFirstVersion() =>
        Assert.Equal(["", "bench", "config", "config presets", "config show", "config validate", "eval", "generate", "inspect", "report", "scale", "slots", "stream", "train"],
            CommandPaths().Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Commands))]
    public void HelpOfEveryCommandListsItsOptionsAndTheirDefaults(string path)
    {
        var command = Find(path);
        var result = CliHarness.Run([.. path.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);
        Assert.Equal(0, result.Code);
        Assert.Equal("", result.Error);
        Assert.Contains("Usage:", result.Output);
        Assert.Contains("nsm " + path, result.FlatOutput);
        foreach (var option in command.Options)
        {
            if (option.Hidden)
            {
                Assert.DoesNotContain(option.Name, result.Output);
                continue;
            }
            var line = OptionLine(result.Output, option.Name);
            Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{path} {option.Name} has no description");
            if (option.HasDefaultValue && option.ValueType != typeof(bool))
                Assert.Contains($"[default: {Convert.ToString(option.GetDefaultValue(), System.Globalization.CultureInfo.InvariantCulture)}]", line);
        }
        foreach (var sub in command.Subcommands) Assert.Contains(sub.Name, result.Output);
    }

    [Theory]
    [InlineData("generate", "--tokens", "[default: 32]")]
    [InlineData("generate", "--temperature", "[default: 0]")]
    [InlineData("generate", "--checkpoint", "(REQUIRED)")]
    [InlineData("eval", "--checkpoint", "(REQUIRED)")]
    [InlineData("train", "--out", "[default: runs/NAME-yyyyMMdd-HHmmss")]
    [InlineData("scale", "--lengths", "[default: 256,1k,4k,16k,64k; --layer: 1k,4k,16k; --quick: 64,128,256]")]
    [InlineData("scale", "--contexts", "[default: 1k,16k,64k; --quick: 64,256]")]
    [InlineData("scale", "--layers", "[default: 2; --layer: 1]")]
    [InlineData("scale", "--budget", "[default: 60; --quick: 20]")]
    [InlineData("scale", "--max-rss-gb", "[default: 8]")]
    [InlineData("scale", "--isolation", "[default: process; --quick: in-process]")]
    [InlineData("stream", "--tokens", "[default: 1000000; --quick: 4096]")]
    [InlineData("stream", "--model", "[default: nsm]")]
    [InlineData("bench", "--seeds", "[default: 1,2; --quick: 1]")]
    [InlineData("bench", "--presets", "[default: copy-transformer]")]
    [InlineData("report", "--out", "[default: docs/benchmarks.md]")]
    public void DefaultsThatDependOnOtherSwitchesAreSpelledOut(string command, string option, string expected) =>
        Assert.Contains(expected, OptionLine(CliHarness.Run(command, "--help").Output, option));

    [Fact]
    public void ConfigHelpListsItsCommandsInsteadOfAnError()
    {
        var result = CliHarness.Run("config", "--help");
        Assert.Equal(0, result.Code);
        foreach (var name in new[] { "show", "validate", "presets" }) Assert.Contains(name, result.Output);
        Assert.DoesNotContain("unknown", result.Output + result.Error);
    }

    [Fact]
    public void RootHelpNamesTheExitCodes()
    {
        var result = CliHarness.Run("--help");
        Assert.Equal(0, result.Code);
        Assert.Contains("2 bad input", result.FlatOutput);
        Assert.Contains("--version", result.Output);
    }

    [Fact]
    public void NoCommandPrintsTheOverviewWithExitCodeTwo()
    {
        var result = CliHarness.Run();
        Assert.Equal(2, result.Code);
        Assert.Contains("train", result.Output);
        Assert.Contains("Commands:", result.Output);
    }

    [Fact]
    public void HelpWordWorksAsBefore()
    {
        Assert.Equal(CliHarness.Run("--help").Output, CliHarness.Run("help").Output);
        var train = CliHarness.Run("help", "train");
        Assert.Equal(0, train.Code);
        Assert.Equal(CliHarness.Run("train", "--help").Output, train.Output);
    }

    [Fact]
    public void VersionNamesTheCommitOrUnknown()
    {
        var result = CliHarness.Run("--version");
        Assert.Equal(0, result.Code);
        Assert.Matches(new Regex(@"^nsm \d+\.\d+\.\d+\+([0-9a-f]{7,40}|unknown)$"), result.Output.Trim());
        Assert.Equal(VersionAction.Version, result.Output.Trim()["nsm ".Length..]);
    }

    [Theory]
    [InlineData("tr", "train")]
    [InlineData("ge", "generate")]
    public void TheSuggestDirectiveCompletesCommands(string partial, string expected)
    {
        var result = CliHarness.Run("[suggest]", partial);
        Assert.Equal(0, result.Code);
        Assert.Contains(expected, result.Output.Split('\n', StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void TheSuggestDirectiveCompletesOptionsPresetsAndConfigKeys()
    {
        var line = "nsm train --pre";
        var options = CliHarness.Run($"[suggest:{line.Length}]", line).Output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains("--preset", options);
        line = "nsm train --preset copy-t";
        Assert.Contains("copy-transformer", CliHarness.Run($"[suggest:{line.Length}]", line).Output.Split('\n', StringSplitOptions.TrimEntries));
        line = "nsm train --set model.d_m";
        Assert.Contains("model.d_model=", CliHarness.Run($"[suggest:{line.Length}]", line).Output.Split('\n', StringSplitOptions.TrimEntries));
    }

    /// <summary>The option's row of the help text, with the lines its description wraps onto, as one line.</summary>
    private static string OptionLine(string help, string name)
    {
        var lines = help.Split('\n');
        var row = Array.FindIndex(lines, l => Regex.IsMatch(l, $@"^  (\S+, )*{Regex.Escape(name)}( |$)"));
        Assert.True(row >= 0, $"help does not list {name}:\n{help}");
        var text = lines[row];
        // Wrapped descriptions continue on lines indented past the first column.
        for (var i = row + 1; i < lines.Length && lines[i].StartsWith("   ", StringComparison.Ordinal); i++) text += " " + lines[i].Trim();
        return Regex.Replace(text, @"\s+", " ");
    }
}
