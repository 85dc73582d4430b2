using System.Text.Json.Nodes;
using Nsm.Tests.Cli;
using static Nsm.Tests.Distributed.MpiRun;

namespace Nsm.Tests.Distributed;

/// <summary>
/// Two MPI ranks on loopback, each with batch b, train exactly as one process with batch 2b:
/// the same loss curve and the same final weights, and both ranks hold bit-identical weights
/// after every step; they share the evaluation and get the whole set's result. Needs Open MPI's
/// mpirun (.ci/run installs it).
/// </summary>
[Collection(MpiRun.Collection)]
public sealed class DataParallelTests
{
    [MpirunTheory]
    [InlineData("associative-recall-nsm", "model.num_states=4")]
    [InlineData("associative-recall-transformer", "")]
    public void TwoRanksEqualOneProcessWithTheDoubledBatch(string preset, string extra)
    {
        using var root = Folder();
        TrainOk(1, $"train --preset {preset} --out {root["single"]}", $"{Tiny} {extra} train.batch_size=4");
        // The ranks compare a hash of their weights after every step; a difference would end the job.
        var ranks = TrainOk(2, $"train --preset {preset} --out {root["ranks"]}", $"{Tiny} {extra} train.batch_size=2 train.replica_check_every=1");
        Assert.Contains("replica check: the weights of all 2 ranks were identical at each of 20 checks", ranks.Output);

        var expected = TrainLosses(root["single"]);
        var actual = TrainLosses(root["ranks"]);
        Assert.Equal(20, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * Math.Abs(expected[i]), $"step {i + 1}: loss {actual[i]} with 2 ranks, {expected[i]} in one process");
        var difference = MaxWeightDifference(root["single"], root["ranks"]);
        Assert.True(difference <= 1e-6, $"weights differ by {difference}");

        // The time in the allreduce is recorded with K > 1 only.
        Assert.All(TrainRecords(root["ranks"]), r => Assert.True(r["allreduce_ms"]!.GetValue<double>() >= 0));
        Assert.All(TrainRecords(root["single"]), r => Assert.Null(r["allreduce_ms"]));
        var summary = JsonNode.Parse(File.ReadAllText(root["ranks/summary.json"]))!;
        Assert.Equal(2, summary["world_size"]!.GetValue<int>());
        Assert.Equal(4, summary["global_batch"]!.GetValue<long>());
        Assert.True(summary["allreduce_ms_per_step"]!.GetValue<double>() > 0);

        // The ranks shared the final evaluation (every other batch each, the sums reduced): the whole set, the same result.
        var singleEval = JsonNode.Parse(File.ReadAllText(root["single/summary.json"]))!["eval"]!;
        var ranksEval = summary["eval"]!;
        Assert.Equal(singleEval["count"]!.GetValue<long>(), ranksEval["count"]!.GetValue<long>());
        Assert.Equal(singleEval["accuracy"]!.GetValue<double>(), ranksEval["accuracy"]!.GetValue<double>());
        var (e, r) = (singleEval["loss"]!.GetValue<double>(), ranksEval["loss"]!.GetValue<double>());
        Assert.True(Math.Abs(e - r) <= 1e-5 * e, $"eval loss {r} with 2 ranks, {e} in one process");
    }

    [MpirunFact]
    public void TrainMaxSecondsStopsEveryRankAtTheSameStep()
    {
        using var root = Folder();
        // Each rank reads its own clock; the time-up vote in the allreduce makes them stop together (else one would wait for the other).
        var result = TrainOk(2, $"train --preset associative-recall-nsm --out {root.Path}", $"{Tiny} model.num_states=4 train.batch_size=2 train.steps=100000 train.log_every=1000 train.max_seconds=1 train.replica_check_every=10 train.collective_timeout_s=30");
        var steps = JsonNode.Parse(File.ReadAllText(root["summary.json"]))!["steps"]!.GetValue<long>();
        Assert.InRange(steps, 1, 99_999);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(60), $"took {result.Elapsed}");
    }

    [Fact]
    public void WithoutAnMpiEnvironmentNoMpiLibraryIsLoaded()
    {
        Assert.Null(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"));
        using var run = Folder();
        var args = new List<string> { "train", "--preset", "associative-recall-nsm", "--out", run.Path };
        foreach (var pair in $"{Tiny} model.num_states=4 train.steps=2".Split(' ', StringSplitOptions.RemoveEmptyEntries)) args.AddRange(["--set", pair]);
        var result = CliHarness.Run([.. args]);
        Assert.True(result.Code == 0, result.Error);
        Assert.DoesNotContain("libmpi", File.ReadAllText("/proc/self/maps"));
        Assert.Equal(1, JsonNode.Parse(File.ReadAllText(run["summary.json"]))!["world_size"]!.GetValue<int>());
    }
}
