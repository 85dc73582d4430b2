using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Models;
using Nsm.Registry;
using Nsm.Tasks;

namespace Nsm.Checkpoints;

/// <summary>Progress of a run, saved beside the weights so training can resume exactly.</summary>
public sealed record TrainerState(long Step, long TokensSeen, double TrainSeconds)
{
    /// <summary>The number of data-parallel ranks that trained it (trainer_state.json's world_size; absent in older checkpoints = 1).</summary>
    public int WorldSize { get; init; } = 1;
}

/// <summary>
/// A checkpoint folder: <c>config.json</c> (the resolved run config), <c>model.safetensors</c>
/// (weights under PyTorch-style snake_case names), <c>optimizer.bin</c> (TorchSharp's AdamW
/// state), <c>rng.safetensors</c> (torch's generator state), <c>trainer_state.json</c>
/// (step, tokens, time) and, for models whose slot counts change (<see cref="IAdaptiveSlots"/>),
/// <c>slots.json</c> (the slots each layer holds, so the model is rebuilt at that size before its
/// weights load; a folder without it holds the slots the config gives). The files are written
/// together as one <see cref="CheckpointWrite"/> (all or none, even when the process is killed).
/// </summary>
public static class Checkpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string OptimizerFile = "optimizer.bin";
    public const string RngFile = "rng.safetensors";
    public const string StateFile = "trainer_state.json";
    public const string SlotsFile = "slots.json";

    /// <summary>
    /// Writes every file of the checkpoint as one <see cref="CheckpointWrite"/>: a kill at any
    /// moment leaves the previous checkpoint or this one, and a failed write (a full disk) is a
    /// <see cref="CheckpointWriteException"/> that leaves the previous one as it was.
    /// </summary>
    public static void Save(string dir, RunConfig config, SequenceModel model, OptimizerHelper? optimizer, TrainerState state)
    {
        using var write = new CheckpointWrite(dir);
        try
        {
            write.Add(ConfigFile, tmp => File.WriteAllText(tmp, ConfigLoader.Serialize(config)));
            write.Add(WeightsFile, tmp => SaveWeights(tmp, model));
            if (model is IAdaptiveSlots adaptive) write.Add(SlotsFile, tmp => File.WriteAllText(tmp, SlotCountsJson(adaptive)));
            if (optimizer is not null) write.Add(OptimizerFile, tmp => optimizer.save_state_dict(tmp));
            using (var rng = torch.get_rng_state())
                write.Add(RngFile, tmp => SafeTensors.Save(tmp, new Dictionary<string, Tensor> { ["torch"] = rng }));
            write.Add(StateFile, tmp => File.WriteAllText(tmp, JsonSerializer.Serialize(new JsonObject
            {
                ["step"] = state.Step,
                ["tokens_seen"] = state.TokensSeen,
                ["train_seconds"] = state.TrainSeconds,
                ["world_size"] = state.WorldSize,
            }, ConfigLoader.WriteOptions)));
            write.Commit();
        }
        catch (IOException e) when (e is not CheckpointWriteException)
        {
            throw new CheckpointWriteException($"could not write the checkpoint of step {state.Step} in {dir}: {e.Message}; the checkpoint there before is unchanged", e);
        }
    }

    public static void SaveWeights(string path, SequenceModel model)
    {
        SafeTensors.Save(path, model.state_dict(), new Dictionary<string, string> { ["format"] = "pt", ["library"] = "nsm" });
    }

    /// <summary>slots.json's text: {"layers.&lt;i&gt;": slots} for every slot layer.</summary>
    private static string SlotCountsJson(IAdaptiveSlots model)
    {
        var json = new JsonObject();
        foreach (var (layer, slots) in model.SlotCounts) json[$"layers.{layer}"] = slots;
        return JsonSerializer.Serialize(json, ConfigLoader.WriteOptions);
    }

    /// <summary>
    /// Gives a freshly built model the slot counts of the checkpoint in dir (slots.json), so its
    /// weights, optimizer state and streaming states fit; nothing when the folder has no slots.json
    /// (checkpoints written before it existed, and models without changing slot counts).
    /// </summary>
    public static void LoadSlotCounts(string dir, SequenceModel model)
    {
        var path = CheckpointWrite.Resolve(dir, SlotsFile);
        if (!File.Exists(path) || model is not IAdaptiveSlots adaptive) return;
        List<(int, long)> counts;
        try
        {
            counts = JsonNode.Parse(File.ReadAllText(path), documentOptions: StrictJson.Document)!.AsObject()
                .Select(kv => (int.Parse(kv.Key.StartsWith("layers.", StringComparison.Ordinal) ? kv.Key[7..] : throw new FormatException(kv.Key)), kv.Value!.GetValue<long>())).ToList();
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{path} is corrupt");
        }
        try
        {
            adaptive.SetSlotCounts(counts);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path} does not fit the model: {e.Message}");
        }
    }

    /// <summary>Copies weights from a safetensors file into a model; names and shapes must match exactly.</summary>
    public static void LoadWeights(string path, SequenceModel model)
    {
        var (tensors, _) = SafeTensors.Load(path);
        try
        {
            var expected = model.state_dict();
            var missing = expected.Keys.Except(tensors.Keys).ToList();
            var unexpected = tensors.Keys.Except(expected.Keys).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new InvalidDataException($"{path} does not match the model: missing [{string.Join(", ", missing.Take(5))}], unexpected [{string.Join(", ", unexpected.Take(5))}]");
            using var noGrad = no_grad();
            foreach (var (name, target) in expected)
            {
                var source = tensors[name];
                if (!source.shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"{path}: '{name}' has shape [{string.Join(", ", source.shape)}], the model expects [{string.Join(", ", target.shape)}]");
                target.copy_(source);
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Reads config.json of a checkpoint folder (strictly validated).</summary>
    public static RunConfig LoadConfig(string dir, IEnumerable<string>? overrides = null)
    {
        RequireCheckpoint(dir);
        return ConfigLoader.LoadSavedRun(CheckpointWrite.Resolve(dir, ConfigFile), overrides);
    }

    public static TrainerState LoadState(string dir)
    {
        var path = CheckpointWrite.Resolve(dir, StateFile);
        if (!File.Exists(path)) throw new InvalidDataException($"{dir} has no {StateFile}; the checkpoint is incomplete");
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path), documentOptions: StrictJson.Document)!.AsObject();
            return new TrainerState(json["step"]!.GetValue<long>(), json["tokens_seen"]!.GetValue<long>(), json["train_seconds"]!.GetValue<double>())
            {
                WorldSize = json["world_size"]?.GetValue<int>() ?? 1,
            };
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} is corrupt");
        }
    }

    public static void LoadOptimizer(string dir, OptimizerHelper optimizer)
    {
        var path = CheckpointWrite.Resolve(dir, OptimizerFile);
        if (!File.Exists(path)) throw new InvalidDataException($"{dir} has no {OptimizerFile}; cannot resume");
        try
        {
            optimizer.load_state_dict(path);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"{path} is corrupt or belongs to another model ({e.Message.Split('\n')[0]})");
        }
    }

    public static void LoadRng(string dir)
    {
        var (tensors, _) = SafeTensors.Load(CheckpointWrite.Resolve(dir, RngFile));
        using var rng = tensors["torch"];
        torch.set_rng_state(rng);
    }

    /// <summary>Builds the task and model a checkpoint was trained with and loads its weights.</summary>
    public static (RunConfig Config, ITask Task, SequenceModel Model) LoadModel(string dir, IEnumerable<string>? overrides = null)
    {
        var config = LoadConfig(dir, overrides);
        var task = TaskRegistry.Create(config.Task, config.Train.Seed);
        var model = ModelRegistry.Create(config.Model, task.Spec);
        LoadSlotCounts(dir, model);
        LoadWeights(CheckpointWrite.Resolve(dir, WeightsFile), model);
        return (config, task, model);
    }

    private static void RequireCheckpoint(string dir)
    {
        if (!Directory.Exists(dir)) throw new InvalidDataException($"checkpoint folder not found: {dir}");
        foreach (var file in new[] { ConfigFile, WeightsFile })
            if (!File.Exists(CheckpointWrite.Resolve(dir, file))) throw new InvalidDataException($"{dir} is not a checkpoint (no {file})");
    }
}
