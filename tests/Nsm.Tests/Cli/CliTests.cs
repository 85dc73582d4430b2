using Nsm.Cli;
using Nsm.Tests.Support;

namespace Nsm.Tests.Cli;

public sealed class CliTests
{
    private static (int Code, string Error) Run(params string[] args)
    {
        var error = new StringWriter();
        var output = Console.Out;
        Console.SetOut(TextWriter.Null);
        try
        {
            var code = CommandLine.Run(args, error);
            return (code, error.ToString());
        }
        finally
        {
            Console.SetOut(output);
        }
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("train", "--preset", "copy-transformer", "--set", "model.nope=1")]
    [InlineData("train", "--preset", "copy-transformer", "--set", "train.lr=fast")]
    [InlineData("train", "--preset", "does-not-exist")]
    [InlineData("train", "--bogus")]
    [InlineData("eval", "--checkpoint", "/nonexistent/run")]
    [InlineData("generate", "--checkpoint", "/nonexistent/run", "--prompt", "ab")]
    [InlineData("config", "validate", "--set", "train.steps=-5")]
    public void BadInputGivesOneLineAndExitCodeTwo(params string[] args)
    {
        var (code, error) = Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void CorruptCheckpointIsRejectedAndLeftUntouched()
    {
        using var dir = TestConfigs.TempDir();
        var run = dir.Sub("run");
        Assert.Equal(0, Run("train", "--preset", "copy-transformer", "--out", run, "--set", "train.steps=2", "--set", "model.d_model=16", "--set", "train.eval_every=0").Code);
        var weights = Path.Combine(run, "model.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..100]);
        var before = Directory.GetFiles(run).ToDictionary(f => f, File.ReadAllBytes);

        var (code, error) = Run("eval", "--checkpoint", run);
        Assert.Equal(2, code);
        Assert.Contains("model.safetensors", error);
        (code, error) = Run("generate", "--checkpoint", run, "--prompt", "ab", "--tokens", "2");
        Assert.Equal(2, code);
        (code, error) = Run("train", "--preset", "copy-transformer", "--out", run);
        Assert.Equal(2, code);
        Assert.Contains("already holds a checkpoint", error);

        Assert.All(before, kv => Assert.Equal(kv.Value, File.ReadAllBytes(kv.Key)));
    }

    [Fact]
    public void PromptOutsideTheVocabularyIsAUsageError()
    {
        using var dir = TestConfigs.TempDir();
        var run = dir.Sub("run");
        Assert.Equal(0, Run("train", "--preset", "copy-transformer", "--out", run, "--set", "train.steps=1", "--set", "model.d_model=16", "--set", "train.eval_every=0").Code);
        var (code, error) = Run("generate", "--checkpoint", run, "--prompt", "ab~", "--tokens", "2");
        Assert.Equal(2, code);
        Assert.Contains("'~' at position 2", error);
    }
}
