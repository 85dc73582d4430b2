using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Nsm.Models;

namespace Nsm.Tests.Architecture;

/// <summary>The core library keeps the layering of docs/layout.md, checked on its compiled IL (method bodies included).</summary>
public sealed class DependencyRuleTests
{
    static string LibraryPath => typeof(SequenceModel).Assembly.Location;

    [Fact]
    public void EveryNamespaceOfTheLibraryHasALayer()
    {
        var namespaces = IlDependencies.Internal(LibraryPath).Select(d => d.From).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Contains("Nsm.Models.Nsm", namespaces);
        var unplaced = namespaces.Where(ns => DependencyRule.LayerOf(ns) is null).ToList();
        Assert.True(unplaced.Count == 0, "namespaces without a layer: " + string.Join(", ", unplaced));
    }

    [Fact]
    public void NoCodeReferencesALayerAboveItsOwn()
    {
        var violations = IlDependencies.Internal(LibraryPath)
            .Where(d => !DependencyRule.Allows(d.From, d.To))
            .Select(d => $"{d.From} -> {d.To}: {d.Where}")
            .Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.True(violations.Count == 0, $"{violations.Count} references break the dependency rule:\n" + string.Join("\n", violations.Take(40)));
    }

    [Fact]
    public void NoUsingDirectiveOfTheLibraryNamesALayerAboveItsOwn()
    {
        // The IL cannot see what only a doc comment's cref needs; the using lines can.
        var source = Path.GetFullPath(Path.Combine(TestsFolder(), "..", "..", "src", "Nsm"));
        var violations = new List<string>();
        foreach (var file in Directory.GetFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")) continue;
            var text = File.ReadAllText(file);
            var ns = Regex.Match(text, @"^namespace ([\w.]+);", RegexOptions.Multiline).Groups[1].Value;
            foreach (Match m in Regex.Matches(text, @"^using (Nsm[\w.]*);", RegexOptions.Multiline))
            {
                var used = m.Groups[1].Value;
                if (DependencyRule.LayerOf(used) is not null && !DependencyRule.Allows(ns, used))
                    violations.Add($"{Path.GetRelativePath(source, file)}: {ns} uses {used}");
            }
        }
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    static string TestsFolder([CallerFilePath] string here = "") => Path.GetDirectoryName(Path.GetDirectoryName(here)!)!;

    [Fact]
    public void TheCheckSeesReferencesInsideMethodBodies()
    {
        // Registry code calls model constructors only inside lambdas (closure types' method bodies):
        // the reader must find those calls, or a body-only dependency would pass unseen.
        var registry = IlDependencies.Internal(LibraryPath).Where(d => d.From == "Nsm.Registry").ToList();
        Assert.Contains(registry, d => d.To == "Nsm.Models.Transformer" && d.Where.Contains("body"));
    }

    [Theory]
    [InlineData("Nsm.Config", "Nsm.Registry", false)]
    [InlineData("Nsm.Models.Nsm", "Nsm.Models.Transformer", false)]
    [InlineData("Nsm.Data.Images", "Nsm.Config", false)]
    [InlineData("Nsm.Core", "Nsm.Config", false)]
    [InlineData("Nsm.Models.Nsm", "Nsm.Modules", true)]
    [InlineData("Nsm.Training", "Nsm.Checkpoints", true)]
    public void TheRuleItself(string from, string to, bool allowed) => Assert.Equal(allowed, DependencyRule.Allows(from, to));
}
