using System.CommandLine;
using Nsm.Checkpoints;
using Nsm.Inspection;
using Nsm.Config;
using Nsm.Distributed;
using Nsm.Training;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm train --config FILE|--preset NAME [--set k=v ...] [--out DIR] [--resume DIR]</c></summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var config = new ConfigOptions();
        var output = CliOption.Text("--out", "DIR", "run folder for config, checkpoint, metrics and summary [default: runs/NAME-yyyyMMdd-HHmmss, NAME = preset or config file name]");
        var resume = CliOption.Text("--resume", "DIR", "continue the run in DIR from its checkpoint; the config comes from DIR/config.json, --set may change it (e.g. train.steps)");
        var command = new Command("train", "Train a model; writes the run folder (config.json, checkpoint, metrics.jsonl, tensorboard/, summary.json).");
        config.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(resume);
        command.SetAction(parse => Run(parse, config, parse.GetValue(output), parse.GetValue(resume)));
        return command;
    }

    private static int Run(ParseResult parse, ConfigOptions options, string? outDir, string? resume)
    {
        RunConfig config;
        string runDir;
        if (resume is not null)
        {
            if (parse.GetValue(options.File) is not null || parse.GetValue(options.Preset) is not null)
                throw new UsageException("--resume takes the config from the checkpoint; drop --config/--preset");
            config = ConfigOptions.Checked(Checkpoint.LoadConfig(resume, options.OverridesOf(parse)), parse.ErrorOutput());
            Checkpoint.LoadState(resume);
            runDir = resume;
        }
        else
        {
            config = options.Load(parse);
            runDir = outDir ?? Path.Combine("runs", $"{options.Name(parse)}-{DateTime.Now:yyyyMMdd-HHmmss}");
            if (File.Exists(CheckpointWrite.Resolve(runDir, Checkpoint.StateFile)))
                throw new UsageException($"{runDir} already holds a checkpoint; use --resume {runDir} to continue it or choose another --out");
        }
        // Ctrl+C ends the run cleanly: the current step finishes and a checkpoint is written.
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        RunSummary? summary;
        // Under mpirun this process is one rank of a data-parallel job (docs/distributed.md); otherwise no MPI is loaded.
        using var comm = Communicator.FromEnvironment(parse.ErrorOutput());
        try
        {
            summary = new Trainer(config, runDir, parse.Output(), comm).Run(resume is not null, cancel.Token);
        }
        catch (Exception e) when (comm.Size > 1)
        {
            // One rank failing ends all of them (MPI_Abort), rather than leaving the others waiting in a collective.
            parse.ErrorOutput().WriteLine($"nsm: rank {comm.Rank} of {comm.Size} failed: {e.Message}");
            parse.ErrorOutput().Flush();
            comm.Abort(1);
            throw;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        if (summary is null) return 130;
        if (comm.IsRoot) WriteNextSteps(parse.Output(), runDir, summary);
        return 0;
    }

    /// <summary>Where the outputs are and the command lines that use them.</summary>
    public static void WriteNextSteps(TextWriter output, string runDir, RunSummary summary)
    {
        var dir = Shell.Quote(runDir);
        var files = new (string Path, string What)[]
        {
            (Path.Combine(runDir, Trainer.SummaryFile), "final metrics: eval loss, accuracy, tokens/s"),
            (Path.Combine(runDir, MetricsLog.FileName), "one JSON object per logged step"),
            (Path.Combine(runDir, "tensorboard") + "/", $"the same scalars for TensorBoard: tensorboard --logdir {dir}"),
            (Path.Combine(runDir, Checkpoint.WeightsFile), $"checkpoint, with {Checkpoint.ConfigFile}, {Checkpoint.OptimizerFile}, {Checkpoint.RngFile}, {Checkpoint.StateFile}"),
        };
        var width = files.Max(f => f.Path.Length);
        output.WriteLine();
        output.WriteLine($"outputs in {runDir}:");
        foreach (var (path, what) in files) output.WriteLine($"  {path.PadRight(width)}  {what}");
        output.WriteLine("next:");
        output.WriteLine($"  nsm eval --checkpoint {dir}");
        // Text tasks report bits per character; they are the ones worth sampling from.
        if (summary.Eval.BitsPerCharacter is not null)
            output.WriteLine($"  nsm generate --checkpoint {dir} --prompt 'The ' --tokens 200 --temperature 0.8");
        if (Inspector.Kinds.Contains(summary.Model))
            output.WriteLine($"  nsm inspect --checkpoint {dir} --example 0");
        output.WriteLine($"  nsm train --resume {dir} --set train.steps={summary.Steps * 2}");
    }
}
