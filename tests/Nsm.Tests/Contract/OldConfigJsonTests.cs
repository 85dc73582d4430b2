using System.Text.Json.Nodes;
using Nsm.Config;
using Nsm.Registry;

namespace Nsm.Tests.Contract;

/// <summary>
/// A run folder's config.json written before the reorganisation (commit 5b09995, every key of
/// every family flat in its section) still loads, means the same, and is written back with the
/// same keys and values.
/// </summary>
public sealed class OldConfigJsonTests
{
    /// <summary>Keys added after 5b09995 (each must load, from a run folder, as what that version did).</summary>
    static readonly string[] AddedSince5b09995 = ["train.nonfinite", "model.write_source", "train.slot_statistics", "model.layer_pattern", "model.memory_rows", "model.memory_width", "model.memory_writes_per_chunk", "model.memory_reads_per_chunk", "task.passkey_digits", "task.filler_path", "task.depth_min", "task.depth_max", "task.min_distance", "task.passkey_keys", "task.passkey_values", "train.collective_timeout_s", "train.replica_check_every", "train.grad_accum", "model.recompute", "eval.piece", "eval.batch", "task.pathfinder_distractors", "task.pathfinder_dash_length", "task.pathfinder_gap_length", "task.pathfinder_dashes", "model.router_floor"];

    static string OldFile => Path.Combine(ContractSnapshot.Folder(), "config-5b09995-mqar-nsm.json");

    [Fact]
    public void AnOldConfigJsonLoadsAndValidates()
    {
        var config = ConfigLoader.LoadSavedRun(OldFile);
        // The file sets state_size (an S4D/Mamba key) on an NSM run: ignored, with one warning.
        var warning = Assert.Single(ConfigValidator.Validate(config));
        Assert.Contains("'model.state_size' is ignored", warning);
        Assert.Equal("nsm", config.Model.Kind);
        Assert.Equal(24, config.Model.Nsm.NumStates);
        Assert.Equal(NsmPropagator.Linear, config.Model.Nsm.Propagator);
        // A key two families share sets both.
        Assert.Equal(32, config.Model.S4d.StateSize);
        Assert.Equal(32, config.Model.Mamba.StateSize);
        Assert.Equal("mqar", config.Task.Name);
    }

    [Fact]
    public void WritingItBackKeepsEveryKeyAndValue()
    {
        var old = JsonNode.Parse(File.ReadAllText(OldFile))!.AsObject();
        var written = ConfigLoader.ToJson(ConfigLoader.LoadSavedRun(OldFile));
        foreach (var section in new[] { "model", "task", "train" })
        {
            var a = old[section]!.AsObject();
            var b = written[section]!.AsObject();
            // Keys added since then come with their defaults; none was removed.
            var added = b.Select(kv => $"{section}.{kv.Key}").Except(a.Select(kv => $"{section}.{kv.Key}")).ToList();
            Assert.True(added.All(AddedSince5b09995.Contains), "unexpected new keys: " + string.Join(", ", added));
            foreach (var (key, value) in a)
                Assert.True(JsonNode.DeepEquals(value, b[key]), $"{section}.{key}: {value?.ToJsonString()} became {b[key]?.ToJsonString()}");
        }
    }

    [Fact]
    public void AnOldRunLoadsInTheSequentialFormThatTrainedIt()
    {
        // The file predates model.write_source: it trained the sequential form, whatever today's default.
        Assert.Equal(NsmWriteSource.Output, ConfigLoader.LoadSavedRun(OldFile).Model.Nsm.WriteSource);
        Assert.Equal(NsmWriteSource.Input, ConfigLoader.FromOverrides(["model.kind=nsm"]).Model.Nsm.WriteSource);
    }

    [Fact]
    public void ARunWithoutTheChangedKeysLoadsWithTheirOldDefaultsAndOneWithThemKeepsThem()
    {
        var dir = Directory.CreateTempSubdirectory("nsm-saved-run-").FullName;
        try
        {
            var path = Path.Combine(dir, "config.json");
            File.WriteAllText(path, """{ "model": { "kind": "nsm", "d_model": 32 }, "task": { "name": "copy" }, "train": {} }""");
            var old = ConfigLoader.LoadSavedRun(path).Model.Nsm;
            Assert.Equal((NsmWriteSource.Output, NsmPropagator.Gru), (old.WriteSource, old.Propagator));
            var fresh = ConfigLoader.LoadFile(path).Model.Nsm;                  // a user's file: today's defaults
            Assert.Equal((NsmWriteSource.Input, NsmPropagator.Decay), (fresh.WriteSource, fresh.Propagator));
            File.WriteAllText(path, """{ "model": { "kind": "nsm", "write_source": "input", "propagator": "lstm" }, "task": {}, "train": {} }""");
            var kept = ConfigLoader.LoadSavedRun(path, ["model.d_model=16"]).Model.Nsm;
            Assert.Equal((NsmWriteSource.Input, NsmPropagator.Lstm), (kept.WriteSource, kept.Propagator));
        }
        finally { Directory.Delete(dir, true); }
    }
}
