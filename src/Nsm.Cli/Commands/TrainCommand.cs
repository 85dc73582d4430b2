using Nsm.Checkpoints;
using Nsm.Config;
using Nsm.Training;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm train --config FILE|--preset NAME [--set k=v ...] [--out DIR] [--resume DIR]</c></summary>
public static class TrainCommand
{
    public const string Usage = "nsm train --config FILE|--preset NAME [--set key=value ...] [--out DIR] [--resume DIR]";

    public static int Run(IEnumerable<string> args)
    {
        var a = new Arguments(args, new HashSet<string> { "config", "preset", "set", "out", "resume" });
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'; usage: {Usage}");
        RunConfig config;
        string runDir;
        var resume = a.Get("resume");
        if (resume is not null)
        {
            if (a.Has("config") || a.Has("preset")) throw new UsageException("--resume takes the config from the checkpoint; drop --config/--preset");
            config = ConfigSource.Checked(Checkpoint.LoadConfig(resume, a.All("set")));
            Checkpoint.LoadState(resume);
            runDir = resume;
        }
        else
        {
            config = ConfigSource.Load(a);
            runDir = a.Get("out") ?? Path.Combine("runs", $"{ConfigSource.Name(a)}-{DateTime.Now:yyyyMMdd-HHmmss}");
            if (File.Exists(Path.Combine(runDir, Checkpoint.StateFile)))
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
        try
        {
            var summary = new Trainer(config, runDir, Console.Out).Run(resume is not null, cancel.Token);
            return summary is null ? 130 : 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
