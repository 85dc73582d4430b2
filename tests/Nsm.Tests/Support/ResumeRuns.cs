using Nsm.Checkpoints;
using Nsm.Config;
using Nsm.Training;

namespace Nsm.Tests.Support;

/// <summary>Runs that are interrupted and resumed, for the tests that compare them with uninterrupted ones.</summary>
public static class ResumeRuns
{
    /// <summary>
    /// Trains config in run until step stopAt as Ctrl+C would end it (a checkpoint, no summary),
    /// then resumes it to the end; returns the resumed trainer.
    /// </summary>
    public static Trainer InterruptAndResume(RunConfig config, string run, long stopAt)
    {
        using var cancel = new CancellationTokenSource();
        var interrupted = new Trainer(config, run);
        interrupted.StepCompleted += step => { if (step == stopAt) cancel.Cancel(); };
        Assert.Null(interrupted.Run(cancel: cancel.Token));
        Assert.Equal(stopAt, Checkpoint.LoadState(run).Step);
        var resumed = new Trainer(config, run);
        resumed.Run(resume: true);
        return resumed;
    }
}
