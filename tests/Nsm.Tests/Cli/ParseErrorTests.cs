namespace Nsm.Tests.Cli;

public sealed class ParseErrorTests
{
    [Theory]
    [InlineData("train", "--bogus")]
    [InlineData("train", "--preset", "copy-transformer", "extra")]
    [InlineData("train", "--out")]
    [InlineData("config")]
    [InlineData("config", "frobnicate")]
    [InlineData("eval")]
    [InlineData("generate", "--checkpoint", "/nonexistent/run")]
    [InlineData("generate", "--checkpoint", "x", "--prompt", "ab", "--tokens", "0")]
    [InlineData("generate", "--checkpoint", "x", "--prompt", "ab", "--temperature", "hot")]
    [InlineData("scale", "--lengths", "1x")]
    [InlineData("scale", "--modes", "fly")]
    [InlineData("scale", "--isolation", "thread")]
    [InlineData("scale", "--quick=true")]
    [InlineData("stream", "--every", "0")]
    [InlineData("bench", "--seeds", "one")]
    [InlineData("report", "stray")]
    public void ParseErrorsAreOneLineWithExitCodeTwo(params string[] args)
    {
        var result = CliHarness.Run(args);
        Assert.Equal(2, result.Code);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Equal("", result.Output);
    }

    [Theory]
    [InlineData("error: option '--tokens' must be an integer >= 1, got '0'", "generate", "--checkpoint", "x", "--prompt", "ab", "--tokens", "0")]
    [InlineData("error: option '--modes' takes train, infer, generate; got 'fly'", "scale", "--modes", "fly")]
    [InlineData("error: option '--isolation' must be process or in-process, got 'thread'", "scale", "--isolation", "thread")]
    [InlineData("error: option '--lengths' must be comma-separated positive integers (e.g. 256,1k,64k), got '1x'", "scale", "--lengths", "1x")]
    [InlineData("error: option '--checkpoint' is required", "eval")]
    [InlineData("error: 'nsm config' needs a command: show, validate, presets", "config")]
    [InlineData("error: unexpected argument 'extra' for 'nsm train'", "train", "--preset", "copy-transformer", "extra")]
    public void ParseErrorsNameTheOptionAndTheProblem(string expected, params string[] args) =>
        Assert.StartsWith(expected, CliHarness.Run(args).Error);

    [Theory]
    [InlineData("did you mean 'train'?", "trian")]
    [InlineData("did you mean 'generate'?", "genrate", "--checkpoint", "x")]
    [InlineData("did you mean 'show'?", "config", "shwo")]
    [InlineData("did you mean 'presets'?", "config", "preset")]
    [InlineData("did you mean '--preset'?", "train", "--prest", "copy-transformer")]
    [InlineData("did you mean '--checkpoint'?", "eval", "--chekpoint=runs/x")]
    [InlineData("did you mean '--lengths'?", "scale", "--length", "64")]
    public void MistypedCommandsAndOptionsSuggestTheIntendedOne(string expected, params string[] args)
    {
        var result = CliHarness.Run(args);
        Assert.Equal(2, result.Code);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains(expected, line);
    }

    [Fact]
    public void UnknownNamesListTheValidOnes()
    {
        Assert.Equal("error: unknown command 'frobnicate'; commands: train, eval, generate, config, scale, stream, bench, report, inspect, slots", CliHarness.Run("frobnicate").Error.Trim());
        Assert.Equal("error: unknown option '--bogus' for 'nsm eval'; valid: --checkpoint, --set, --piece, --batch, --lengths, --depths, --heatmap, --help", CliHarness.Run("eval", "--bogus").Error.Trim());
    }

    [Theory]
    [InlineData("config", "show")]
    [InlineData("config", "validate")]
    [InlineData("train", "--preset", "copy-transformer")]
    public void AMistypedConfigKeySuggestsTheRightKey(params string[] command)
    {
        var result = CliHarness.Run([.. command, "--set", "model.d_modle=3"]);
        Assert.Equal(2, result.Code);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: unknown key 'model.d_modle'; did you mean 'model.d_model'? valid: model.kind, model.d_model, ", line);
    }

    [Fact]
    public void AMistypedPresetSuggestsTheRightPreset()
    {
        var result = CliHarness.Run("config", "show", "--preset", "copy-transfomer");
        Assert.Equal(2, result.Code);
        Assert.Contains("did you mean 'copy-transformer'?", Assert.Single(result.ErrorLines));
    }
}
