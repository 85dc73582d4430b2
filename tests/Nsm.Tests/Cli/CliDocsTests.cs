using System.CommandLine;
using Nsm.Cli;

namespace Nsm.Tests.Cli;

/// <summary>docs/cli.md documents every option of every command, so the page cannot fall behind the help.</summary>
public sealed class CliDocsTests
{
    [Fact]
    public void EveryOptionOfEveryCommandIsInItsSectionOfCliMd()
    {
        var page = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "cli.md"));
        var missing = new List<string>();
        void Walk(Command command, string path)
        {
            var options = command.Options.Where(o => !o.Hidden && o.Name is not "--help" and not "--version").ToList();
            if (options.Count > 0)
            {
                var section = Section(page, $"`nsm {path}`");
                if (section is null) missing.Add($"a section for nsm {path}");
                else missing.AddRange(options.Where(o => !section.Contains($"`{o.Name}", StringComparison.Ordinal)).Select(o => $"nsm {path} {o.Name}"));
            }
            foreach (var sub in command.Subcommands) Walk(sub, (path + " " + sub.Name).Trim());
        }
        Walk(CommandLine.Create(), "");
        Assert.True(missing.Count == 0, "docs/cli.md lacks: " + string.Join(", ", missing));
        Assert.Contains(page, line => line.Contains("`nsm --version`", StringComparison.Ordinal));
    }

    /// <summary>The text under the first "###" heading that names the command, up to the next heading.</summary>
    private static string? Section(string[] page, string name)
    {
        var start = Array.FindIndex(page, l => l.StartsWith("### ", StringComparison.Ordinal) && l.Contains(name, StringComparison.Ordinal));
        if (start < 0) return null;
        var end = Array.FindIndex(page, start + 1, l => l.StartsWith("#", StringComparison.Ordinal));
        return string.Join("\n", page[start..(end < 0 ? page.Length : end)]);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Nsm.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("no Nsm.slnx above " + AppContext.BaseDirectory);
    }
}
