using System.CommandLine;
using TorchSharp;
using static TorchSharp.torch;
using Nsm.Checkpoints;
using Nsm.Inference;
using Nsm.Training;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm generate --checkpoint DIR --prompt TEXT [--tokens N] [--temperature T] [--top-k K] [--seed S] [--set k=v ...]</c></summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var checkpoint = EvalCommand.CheckpointOption();
        var prompt = CliOption.Text("--prompt", "TEXT", "text to continue; every character must be in the task's vocabulary", required: true);
        var tokens = CliOption.Int("--tokens", "N", "tokens to generate", defaultValue: 32, min: 1);
        var temperature = CliOption.Number("--temperature", "T", "sampling temperature; 0 = greedy", defaultValue: 0, min: 0);
        var topK = CliOption.Int("--top-k", "K", "sample from the K most likely tokens; 0 = from all", defaultValue: 0, min: 0);
        var seed = CliOption.Int("--seed", "S", "seed of the sampler", defaultValue: 0, min: 0);
        var overrides = CliOption.Overrides("override a key of the checkpoint's config (repeatable)");
        var command = new Command("generate", "Continue a prompt with a trained model (tasks with a text vocabulary).")
        {
            checkpoint, prompt, tokens, temperature, topK, seed, overrides,
        };
        command.SetAction(parse =>
        {
            var sampling = new Sampling(parse.GetValue(tokens), parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(seed));
            return Run(parse, parse.GetValue(checkpoint)!, parse.GetValue(prompt)!, sampling, parse.GetValue(overrides) ?? []);
        });
        return command;
    }

    private sealed record Sampling(int Tokens, double Temperature, int TopK, int Seed);

    private static int Run(ParseResult parse, string dir, string prompt, Sampling sampling, IReadOnlyList<string> overrides)
    {
        var (config, task, model) = Checkpoint.LoadModel(dir, overrides);
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
        using var generator = new Generator((ulong)sampling.Seed);
        var generated = TextGenerator.Generate(model, ids, sampling.Tokens, new Sampler(sampling.Temperature, sampling.TopK, generator));
        parse.Output().WriteLine(prompt + tokenizer.Decode(generated));
        return 0;
    }
}
