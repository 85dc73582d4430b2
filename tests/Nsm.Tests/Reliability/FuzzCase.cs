using System.Security.Cryptography;
using System.Text;
using Nsm.Tests.Cli;
using Nsm.Tests.Support;

namespace Nsm.Tests.Reliability;

/// <summary>
/// What every fuzz test shares: the number of cases (NSM_FUZZ_CASES), the outcome tally
/// (NSM_FUZZ_REPORT), and the check of one command line: exit 0, or 2 with one error line, and
/// nothing outside the run folder changed.
/// </summary>
public static class FuzzCase
{
    /// <summary>Counts outcomes per target; with NSM_FUZZ_REPORT=FILE each target appends one line there.</summary>
    public sealed class Tally(string target)
    {
        private int ok, refused;

        public void Add(string outcome)
        {
            if (outcome == "ok") ok++;
            else refused++;
        }

        public void Report(string refusal = "refused with one error line (exit 2)")
        {
            if (Environment.GetEnvironmentVariable("NSM_FUZZ_REPORT") is { Length: > 0 } file)
                File.AppendAllText(file, $"{target}: {ok + refused} inputs, {ok} succeeded, {refused} {refusal}, 0 other outcomes\n");
        }
    }

    /// <summary>Cases per target: NSM_FUZZ_CASES, or the default run's number.</summary>
    public static int Cases(int fallback) => int.TryParse(Environment.GetEnvironmentVariable("NSM_FUZZ_CASES"), out var n) ? n : fallback;

    /// <summary>Overrides that make a preset's model tiny and its run short.</summary>
    public static readonly string[] Tiny = ["--set", "model.d_model=16", "--set", "model.num_layers=1", "--set", "train.batch_size=4", "--set", "train.eval_every=0"];

    /// <summary>SHA-256 over every file's path and bytes below a folder, except one subfolder.</summary>
    public static string TreeHash(string root, string? except = null)
    {
        using var sha = SHA256.Create();
        foreach (var file in Directory.GetFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (except is not null && file.StartsWith(except + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
            var name = Encoding.UTF8.GetBytes(Path.GetRelativePath(root, file));
            sha.TransformBlock(name, 0, name.Length, null, 0);
            var bytes = File.ReadAllBytes(file);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexString(sha.Hash!);
    }

    /// <summary>Runs one case; returns its outcome ("ok" or "error") and fails on anything else.</summary>
    public static string Check(string what, TempDir dir, string? runDir, params string[] args)
    {
        var before = TreeHash(dir.Path, runDir);
        var result = CliHarness.Run(args);
        Assert.True(result.Code is 0 or 2, $"{what}: exit {result.Code}: {result.Error}");
        if (result.Code == 2)
        {
            // One error line; a config may also earn warning lines for keys its kind or task ignores.
            Assert.Single(result.ErrorLines, l => l.StartsWith("error: ", StringComparison.Ordinal));
            Assert.All(result.ErrorLines, l => Assert.True(l.StartsWith("error: ", StringComparison.Ordinal) || l.StartsWith("warning: ", StringComparison.Ordinal), $"{what}: {l}"));
            Assert.DoesNotContain("   at ", result.Error);
        }
        Assert.True(before == TreeHash(dir.Path, runDir), $"{what}: an input outside the run folder changed");
        return result.Code == 0 ? "ok" : "error";
    }

    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from)) CopyFolder(sub, Path.Combine(to, Path.GetFileName(sub)));
    }
}
