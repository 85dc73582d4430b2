using Nsm.Samples;
using Nsm.Tests.Support;

namespace Nsm.Tests.Samples;

/// <summary>The samples project runs, does what it says, and is what README.md quotes.</summary>
public sealed class SampleTests : SingleThreadTest
{
    [Fact]
    public void SampleTrainsStreamsAndContinuesFromTheLoadedState()
    {
        var output = new StringWriter();
        var result = Sample.Run(output, steps: 20);

        Assert.Equal(20, result.Losses.Count);
        Assert.All(result.Losses, l => Assert.True(double.IsFinite(l), $"loss {l}"));
        Assert.True(result.Losses.TakeLast(3).Average() < result.Losses.Take(3).Average() - 0.05,
            $"loss did not go down: {string.Join(", ", result.Losses.Select(l => l.ToString("F3")))}");
        Assert.InRange(result.StreamedVsFullMaxDiff, 0, 1e-5);
        Assert.Equal(0, result.LoadedVsLiveMaxDiff);
        Assert.True(result.SavedPosition > 0);
        Assert.Equal(3, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void ReadmeQuotesTheSampleVerbatim()
    {
        var root = RepositoryRoot();
        var readme = File.ReadAllLines(Path.Combine(root, "README.md"));
        var start = Array.IndexOf(readme, "## Using the library from C#");
        Assert.True(start >= 0, "README.md has no '## Using the library from C#' section");
        var end = Array.FindIndex(readme, start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
        var section = readme[start..(end < 0 ? readme.Length : end)];
        Assert.Contains(section, l => l.Contains("dotnet run --project samples/Nsm.Samples", StringComparison.Ordinal));

        // Program.cs with its method-body indentation removed, so the README's blocks start at column 0.
        var program = "\n" + string.Join("\n", File.ReadAllLines(Path.Combine(root, "samples", "Nsm.Samples", "Program.cs"))
            .Select(l => l.StartsWith("        ", StringComparison.Ordinal) ? l[8..] : l)) + "\n";
        var blocks = CodeBlocks(section).ToList();
        Assert.NotEmpty(blocks);
        foreach (var block in blocks)
            Assert.True(program.Contains("\n" + block + "\n", StringComparison.Ordinal),
                $"README.md quotes lines that are not in samples/Nsm.Samples/Program.cs:\n{block}");
    }

    private static IEnumerable<string> CodeBlocks(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] != "```csharp") continue;
            var close = Array.IndexOf(lines, "```", i + 1);
            yield return string.Join("\n", lines[(i + 1)..close]);
            i = close;
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Nsm.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("no Nsm.slnx above " + AppContext.BaseDirectory);
    }
}
