using System.Text.Json.Nodes;
using Nsm.Config;
using Nsm.Core;
using Nsm.Registry;
using Nsm.Tests.Support;

namespace Nsm.Tests.Config;

public sealed class ConfigTests
{
    [Fact]
    public void DefaultsAreValidAndDocumentedValuesApply()
    {
        var config = ConfigLoader.FromOverrides([]);
        Assert.Equal("transformer", config.Model.Kind);
        Assert.Equal("copy", config.Task.Name);
        Assert.True(config.Train.Steps > 0);
    }

    [Fact]
    public void DottedOverridesParseNumbersBooleansAndStrings()
    {
        var config = ConfigLoader.FromOverrides(["model.d_model=128", "train.lr=3e-4", "model.tie_embeddings=false", "train.device=cpu", "train.steps=1e3"]);
        Assert.Equal(128, config.Model.DModel);
        Assert.Equal(3e-4, config.Train.Lr);
        Assert.False(config.Model.TieEmbeddings);
        Assert.Equal(1000, config.Train.Steps);
    }

    [Fact]
    public void OverridesWinOverTheFile()
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("c.json");
        File.WriteAllText(path, "{ \"model\": { \"d_model\": 48 }, \"train\": { \"lr\": 0.01 } // comment\n}");
        var config = ConfigLoader.LoadFile(path, ["train.lr=0.5"]);
        Assert.Equal(48, config.Model.DModel);
        Assert.Equal(0.5, config.Train.Lr);
    }

    [Theory]
    [InlineData("model.foo=1", "unknown key 'model.foo'")]
    [InlineData("modle.d_model=1", "unknown section 'modle'")]
    [InlineData("train.lr=abc", "'train.lr' must be a number")]
    [InlineData("train.steps=1.5", "'train.steps' must be an integer")]
    [InlineData("train.steps=-1", "'train.steps' = -1 is out of range; allowed: 0 to")]
    [InlineData("model.tie_embeddings=1", "'model.tie_embeddings' must be true or false")]
    [InlineData("model.kind=gpt9", "'model.kind' = \"gpt9\" is not known; allowed:")]
    [InlineData("task.name=nope", "'task.name' = \"nope\" is not known; allowed:")]
    [InlineData("train.lr", "must look like section.key=value")]
    [InlineData("lr=1", "must be section.key")]
    public void BadValuesGetOneLineErrorsNamingTheKey(string item, string expected)
    {
        // Loading checks keys, types and ranges; the validator one layer up checks names and rules.
        var error = Assert.Throws<ConfigException>(() => ConfigValidator.Validate(ConfigLoader.FromOverrides([item])));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("model.d_modle=3", "unknown key 'model.d_modle'; did you mean 'model.d_model'? valid: model.kind, model.d_model,")]
    [InlineData("trian.steps=3", "unknown section 'trian'; did you mean 'train'? valid: model, task, train")]
    [InlineData("model.kind=transfomer", "is not known; did you mean 'transformer'? allowed:")]
    [InlineData("task.name=coyp", "is not known; did you mean 'copy'? allowed:")]
    public void MistypedNamesGetTheNearestValidName(string item, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigValidator.Validate(ConfigLoader.FromOverrides([item])));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void MistypedPresetGetsTheNearestPreset()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.LoadPreset("copy-transfomer"));
        Assert.Contains("unknown preset 'copy-transfomer'; did you mean 'copy-transformer'? available:", error.Message);
    }

    [Fact]
    public void UnknownKeyErrorListsValidKeys()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.FromOverrides(["train.stpes=3"]));
        Assert.Contains("train.steps", error.Message);
    }

    [Fact]
    public void SerializedConfigLoadsBackEqual()
    {
        var config = TestConfigs.TinyCopy("train.lr=0.123", "model.d_model=40");
        var json = ConfigLoader.ToJson(config);
        var again = ConfigLoader.FromJson(json);
        Assert.Equal(config, again);
        Assert.Equal(40, json["model"]!["d_model"]!.GetValue<int>());
    }

    [Fact]
    public void EveryPresetInTheRepositoryIsValid()
    {
        var names = ConfigLoader.PresetNames();
        Assert.Contains("copy-transformer", names);
        foreach (var name in names) ConfigLoader.LoadPreset(name);
    }

    [Fact]
    public void UnknownPresetListsAvailableOnes()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.LoadPreset("no-such-preset"));
        Assert.Contains("copy-transformer", error.Message);
    }

    [Fact]
    public void InvalidJsonFileIsReportedWithItsPath()
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("bad.json");
        File.WriteAllText(path, "{ \"model\": ");
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile(path));
        Assert.Contains("bad.json is not valid JSON", error.Message);
    }

    [Fact]
    public void SectionsMustBeObjects()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.FromJson(new JsonObject { ["model"] = 3 }));
        Assert.Contains("'model' must be an object", error.Message);
    }
}
