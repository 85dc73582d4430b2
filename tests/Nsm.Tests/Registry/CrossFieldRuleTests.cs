using Nsm.Cli;
using Nsm.Config;
using Nsm.Core;
using Nsm.Registry;

namespace Nsm.Tests.Registry;

/// <summary>
/// Every cross-field rule of the model families and tasks, each broken once: the validator
/// (what <c>nsm config validate</c> and the trainer run) rejects it with one line naming the key,
/// building rejects it too, and the CLI exits with code 2. A config that validates must build.
/// </summary>
public sealed class CrossFieldRuleTests
{
    /// <summary>(rule, preset, overrides separated by ';', the key the message names).</summary>
    public static TheoryData<string, string, string, string> Rules => new()
    {
        { "nsm: num_heads divides d_model", "nsm", "model.d_model=30", "'model.num_heads'" },
        { "nsm: router_heads divides d_model", "nsm", "model.router_heads=3", "'model.router_heads'" },
        { "nsm: even head width for the local attention", "nsm", "model.d_model=36", "'model.d_model' / 'model.num_heads'" },
        { "nsm: max_states holds the initially active slots", "nsm", "model.max_states=4;model.initial_states=8", "'model.max_states'" },
        { "nsm: communication_top_k within the slots", "nsm", "model.communication=topk;model.communication_top_k=99", "'model.communication_top_k'" },
        { "nsm: router_top_k within the slots", "nsm", "model.router_top_k=99", "'model.router_top_k'" },
        { "nsm: router_top_k only with the token router", "nsm", "model.router=slot;model.router_top_k=2", "'model.router_top_k'" },
        { "transformer: num_heads divides d_model", "copy-transformer", "model.d_model=30", "'model.num_heads'" },
        { "transformer: even head width for rotary positions", "copy-transformer", "model.d_model=36", "'model.d_model' / 'model.num_heads'" },
        { "linformer: num_heads divides d_model", "copy-transformer", "model.kind=linformer;task.name=listops;model.d_model=30", "'model.num_heads'" },
        { "s4d: even state_size", "copy-s4d", "model.state_size=7", "'model.state_size'" },
        { "s4d: dt_min below dt_max", "copy-s4d", "model.dt_min=0.5;model.dt_max=0.1", "'model.dt_min'" },
        { "mamba: dt_min below dt_max", "copy-mamba", "model.dt_min=0.5;model.dt_max=0.1", "'model.dt_min'" },
        { "model.kind is a registered kind", "copy-transformer", "model.kind=gpt9", "'model.kind'" },
        { "task.name is a registered task", "copy-transformer", "task.name=nope", "'task.name'" },
        { "mqar: num_pairs within key_vocab", "mqar-nsm", "task.num_pairs=40;task.key_vocab=20", "'task.key_vocab'" },
        { "mqar: num_pairs within value_vocab", "mqar-nsm", "task.num_pairs=20;task.key_vocab=40;task.value_vocab=10", "'task.value_vocab'" },
        { "mqar: num_queries within num_pairs", "mqar-nsm", "task.num_queries=17", "'task.num_queries'" },
        { "mqar: seq_len holds pairs and queries", "mqar-nsm", "task.seq_len=40", "'task.seq_len'" },
        { "associative_recall: num_pairs within key_vocab", "associative-recall-nsm", "task.num_pairs=40;task.key_vocab=20", "'task.key_vocab'" },
        { "listops: max_length exceeds min_length by 2", "listops-nsm", "task.min_length=100;task.max_length=101", "'task.max_length'" },
        { "pathfinder: the curves fit apart on the grid", "pathfinder-nsm", "task.pathfinder_distractors=64;task.pathfinder_dashes=32", "'task.pathfinder_distractors'" },
        { "pathfinder: a target curve has room for two markers", "pathfinder-nsm", "task.pathfinder_dashes=2;task.pathfinder_dash_length=1;task.pathfinder_gap_length=0", "'task.pathfinder_dashes'" },
        { "retrieval: max_length leaves each text a byte", "retrieval-nsm", "task.max_length=2", "'task.max_length'" },
        { "selective_copy: num_tokens within seq_len", "selective-copy-nsm", "task.num_tokens=90;task.seq_len=80", "'task.num_tokens'" },
        { "images: a validation split needs validation_fraction", "fashion-mnist-nsm", "task.eval_split=validation;task.validation_fraction=0", "'task.validation_fraction'" },
        { "char_lm: validation_fraction above 0", "char-lm-nsm", "task.validation_fraction=0", "'task.validation_fraction'" },
        { "babi: the offline generator makes tasks 1-3", "babi-nsm", "task.babi_task=7;task.data_path=", "'task.babi_task'" },
    };

    static string[] Overrides(string overrides) => overrides.Split(';', StringSplitOptions.RemoveEmptyEntries);

    [Theory]
    [MemberData(nameof(Rules))]
    public void ValidateRejectsTheBrokenRuleInOneLine(string rule, string preset, string overrides, string key)
    {
        // Loading alone checks keys one by one: every broken rule here loads.
        var config = ConfigLoader.LoadPreset(preset, Overrides(overrides));
        var error = Assert.Throws<ConfigException>(() => ConfigValidator.Validate(config));
        Assert.True(error.Message.Contains(key), $"{rule}: message '{error.Message}' does not name {key}");
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void TheCommandLineExitsWithCodeTwo(string rule, string preset, string overrides, string key)
    {
        var args = new List<string> { "config", "validate", "--preset", preset };
        foreach (var o in Overrides(overrides)) args.AddRange(["--set", o]);
        var error = new StringWriter();
        var output = Console.Out;
        Console.SetOut(TextWriter.Null);
        try
        {
            Assert.Equal(2, CommandLine.Run(args.ToArray(), error));
        }
        finally
        {
            Console.SetOut(output);
        }
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var errorLine = Assert.Single(lines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.True(errorLine.Contains(key), $"{rule}: '{errorLine}'");
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void BuildingRejectsWhatValidateRejects(string rule, string preset, string overrides, string key)
    {
        var config = ConfigLoader.LoadPreset(preset, Overrides(overrides));
        var error = Assert.Throws<ConfigException>(() =>
        {
            // The model rules need only the task's shape; a small stand-in keeps data tasks out of it.
            var spec = new TaskSpec(12, 0, TaskOutput.PerToken, 12, Causal: config.Model.Kind != "linformer", MaxLength: 64);
            if (key.StartsWith("'task.", StringComparison.Ordinal)) TaskRegistry.Create(config.Task, 1);
            else ModelRegistry.Create(config.Model, spec).Dispose();
        });
        Assert.True(error.Message.Contains(key), $"{rule}: building said '{error.Message}'");
    }

    [Fact]
    public void EveryPresetValidatesWithoutWarnings()
    {
        foreach (var name in ConfigLoader.PresetNames())
        {
            var warnings = ConfigValidator.Validate(ConfigLoader.LoadPreset(name));
            Assert.True(warnings.Count == 0, $"{name}: {string.Join("; ", warnings)}");
        }
    }

    [Fact]
    public void AKeyTheKindIgnoresIsAWarningNotAnError()
    {
        var config = ConfigLoader.LoadPreset("copy-transformer", ["model.kind=rwkv", "model.num_states=8", "model.num_heads=2", "task.num_pairs=3"]);
        var warnings = ConfigValidator.Validate(config);
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("'model.num_states' is ignored") && w.Contains("nsm"));
        Assert.Contains(warnings, w => w.Contains("'model.num_heads' is ignored"));
        Assert.Contains(warnings, w => w.Contains("'task.num_pairs' is ignored") && w.Contains("mqar"));
        Assert.All(warnings, w => Assert.DoesNotContain('\n', w));
    }
}
