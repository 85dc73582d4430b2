using TorchSharp;
using static TorchSharp.torch;
using Nsm.Checkpoints;
using Nsm.Inference;
using Nsm.Training;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm generate --checkpoint DIR --prompt TEXT --tokens N [--temperature T] [--top-k K] [--seed S]</c></summary>
public static class GenerateCommand
{
    public const string Usage = "nsm generate --checkpoint DIR --prompt TEXT --tokens N [--temperature T] [--top-k K] [--seed S]";

    public static int Run(IEnumerable<string> args)
    {
        var a = new Arguments(args, new HashSet<string> { "checkpoint", "prompt", "tokens", "temperature", "top-k", "seed", "set" });
        var prompt = a.Require("prompt");
        var count = a.GetInt("tokens", 32, min: 1);
        var temperature = a.GetDouble("temperature", 0, min: 0);
        var topK = a.GetInt("top-k", 0, min: 0);
        var seed = a.GetInt("seed", 0, min: 0);
        var (config, task, model) = Checkpoint.LoadModel(a.Require("checkpoint"), a.All("set"));
        var tokenizer = task.Tokenizer ?? throw new UsageException($"task '{task.Name}' has no text vocabulary, so it cannot take a text prompt");
        long[] ids;
        try
        {
            ids = tokenizer.Encode(prompt);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"prompt: {e.Message}");
        }
        if (ids.Length == 0) throw new UsageException("prompt is empty");
        model.to(Devices.Resolve(config.Train.Device));
        using var generator = new Generator((ulong)seed);
        var generated = TextGenerator.Generate(model, ids, count, new Sampler(temperature, topK, generator));
        Console.WriteLine(prompt + tokenizer.Decode(generated));
        return 0;
    }
}
