using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Nsm.Tests.Support;

namespace Nsm.Tests.Packaging;

/// <summary>
/// What a user gets from <c>dotnet pack</c>: the library package (Nsm) with its XML docs and
/// README, and the nsm tool package (Nsm.Cli), which installs from a local folder feed into a
/// tool path and then trains from a folder outside the repository, so it must carry its presets
/// and a TorchSharp shim that loads on Debian 12 (docs/native-runtime.md). Slow: the packs build
/// the Release projects and compress libtorch (about 200 MB).
/// </summary>
public sealed class PackageInstallTests
{
    private static readonly TimeSpan PackLimit = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(3);

    [Fact]
    [Trait("Category", "Slow")]
    public void PackedToolInstallsFromAFolderFeedAndTrains()
    {
        using var dir = TestConfigs.TempDir();
        var feed = dir.Sub("feed");
        var tools = dir.Sub("tools");
        var root = ExternalProcess.RepositoryRoot();

        foreach (var project in new[] { "src/Nsm", "src/Nsm.Cli" })
        {
            var pack = Dotnet(["pack", project, "-c", "Release", "-o", feed, "-nologo", "-v", "q", "-nodeReuse:false", "-p:UseSharedCompilation=false"], root, PackLimit);
            Assert.True(pack.Code == 0, $"dotnet pack {project} failed:\n{pack.Printed}");
        }

        var library = Assert.Single(Directory.GetFiles(feed, "Nsm.*.nupkg"), f => !Path.GetFileName(f).StartsWith("Nsm.Cli.", StringComparison.Ordinal));
        using (var zip = ZipFile.OpenRead(library))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("lib/net10.0/Nsm.dll", entries);
            Assert.Contains("lib/net10.0/Nsm.xml", entries);
            Assert.Contains("README.md", entries);
        }

        var toolPackage = Assert.Single(Directory.GetFiles(feed, "Nsm.Cli.*.nupkg"));
        var version = Regex.Match(Path.GetFileName(toolPackage), @"^Nsm\.Cli\.(.+)\.nupkg$").Groups[1].Value;
        using (var zip = ZipFile.OpenRead(toolPackage))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("tools/net10.0/any/configs/copy-long-nsm.json", entries);
            Assert.Contains("tools/net10.0/any/runtimes/linux-x64/native/libLibTorchSharp.so", entries);
            // Presets are the tool's own files, not content for projects referencing the package.
            Assert.DoesNotContain(entries, e => e.StartsWith("content", StringComparison.Ordinal));
        }

        var install = Dotnet(["tool", "install", "--tool-path", tools, "--add-source", feed, "Nsm.Cli", "--version", version], dir.Path, PackLimit);
        Assert.True(install.Code == 0, $"dotnet tool install failed:\n{install.Printed}");
        var nsm = Path.Combine(tools, "nsm");
        Assert.True(File.Exists(nsm), $"the tool's command is not 'nsm': {string.Join(", ", Directory.GetFiles(tools).Select(Path.GetFileName))}");

        var printed = ExternalProcess.Run(nsm, ["--version"], dir.Path, RunLimit);
        Assert.True(printed.Code == 0, printed.Printed);
        Assert.StartsWith($"nsm {version}+", printed.Output.Trim());

        // From a folder outside the repository: presets and libtorch come from the installed tool.
        var run = dir.Sub("run");
        var train = ExternalProcess.Run(nsm, ["train", "--preset", "copy-long-nsm", "--set", "train.steps=5", "--set", "train.threads=1",
            "--set", "task.eval_examples=16", "--out", run], dir.Path, RunLimit);
        Assert.True(train.Code == 0, $"the installed nsm train failed:\n{train.Printed}");
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!;
        Assert.Equal(5, summary["steps"]!.GetValue<long>());
        Assert.True(File.Exists(Path.Combine(run, "model.safetensors")));
    }

    /// <summary>
    /// The dotnet command without the MSBuild settings the test host inherits from dotnet test
    /// (they would point the child build at the test run's own MSBuild).
    /// </summary>
    private static ExternalProcess.Result Dotnet(string[] args, string workingDirectory, TimeSpan limit)
    {
        var env = new Dictionary<string, string?> { ["DOTNET_NOLOGO"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" };
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>())
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)) env[key] = null;
        return ExternalProcess.Run("dotnet", args, workingDirectory, limit, env);
    }
}
