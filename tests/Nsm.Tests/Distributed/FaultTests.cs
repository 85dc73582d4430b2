using Nsm.Checkpoints;
using Nsm.Distributed;
using Nsm.Tests.Cli;
using static Nsm.Tests.Distributed.MpiRun;

namespace Nsm.Tests.Distributed;

/// <summary>
/// A rank that dies, hangs or fails ends the 2-rank job within a bounded time, with a non-zero
/// exit code and a line from the tool naming the rank, and leaves the last checkpoint loadable;
/// resuming from that checkpoint gives the uninterrupted run. The faults come from
/// <see cref="FaultInjection"/> (NSM_TEST_FAULT), acted out by rank 1 just before a step's allreduce.
/// </summary>
[Collection(MpiRun.Collection)]
public sealed class FaultTests
{
    private const string Preset = "train --preset associative-recall-nsm";
    private const string Overrides = $"{Tiny} model.num_states=4 train.batch_size=2 train.checkpoint_every=5";

    private static Dictionary<string, string> Fault(string fault) => new() { [FaultInjection.Variable] = fault };

    [MpirunFact]
    public void AKilledRankEndsTheJobNamingItAndTheCheckpointStillLoads()
    {
        using var root = Folder();
        var run = root["killed"];
        var result = Train(2, $"{Preset} --out {run}", Overrides, Fault("1:8:kill"));
        Assert.NotEqual(0, result.Code);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(60), $"took {result.Elapsed}");
        // mpirun ends rank 0 with SIGTERM; rank 0 was waiting in step 8's allreduce, which rank 1 never reached.
        Assert.Contains("nsm: rank 0 of 2 was ended by SIGTERM from the launcher (another rank died or aborted) while waiting in the gradient allreduce of step 8, which rank 1 had not reached", result.Error);
        Assert.Equal(5, Checkpoint.LoadState(run).Step);
        var eval = CliHarness.Run("eval", "--checkpoint", run);
        Assert.True(eval.Code == 0, eval.Error);
    }

    [MpirunFact]
    public void AHungRankEndsTheJobByTheDeadline()
    {
        using var root = Folder();
        var run = root["hung"];
        var result = Train(2, $"{Preset} --out {run}", $"{Overrides} train.collective_timeout_s=5", Fault("1:8:hang"));
        Assert.NotEqual(0, result.Code);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(60), $"took {result.Elapsed}");
        Assert.Contains("nsm: rank 0 of 2 failed: rank 1 did not reach the gradient allreduce of step 8 within 5 s (train.collective_timeout_s): dead or hung", result.Error);
        Assert.Equal(5, Checkpoint.LoadState(run).Step);
        Assert.True(CliHarness.Run("eval", "--checkpoint", run).Code == 0);
    }

    [MpirunFact]
    public void ARankWhoseWeightsDriftIsNamedByTheReplicaCheck()
    {
        using var root = Folder();
        var result = Train(2, $"{Preset} --out {root["drift"]}", $"{Overrides} train.replica_check_every=2", Fault("1:3:drift"));
        Assert.NotEqual(0, result.Code);
        // Drift after step 3 is found by the check after step 4, on both ranks; whichever prints first aborts the job.
        Assert.Contains("of 2 failed: after step 4 the weights of rank 1 differ from rank 0's", result.Error);
    }

    [MpirunFact]
    public void AFailedRankEndsTheJobAndItsCheckpointResumesToTheUninterruptedRun()
    {
        using var root = Folder();
        TrainOk(2, $"{Preset} --out {root["whole"]}", Overrides);
        var failed = Train(2, $"{Preset} --out {root["resumed"]}", Overrides, Fault("1:13:throw"));
        Assert.NotEqual(0, failed.Code);
        Assert.Contains("nsm: rank 1 of 2 failed: fault injected by NSM_TEST_FAULT at step 13", failed.Error);
        Assert.Equal(10, Checkpoint.LoadState(root["resumed"]).Step);

        TrainOk(2, $"train --resume {root["resumed"]}", "");
        Assert.Equal(TrainLosses(root["whole"]), TrainLosses(root["resumed"]));
        Assert.Equal(0, MaxWeightDifference(root["whole"], root["resumed"]));
    }
}
