using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Checkpoints;
using Nsm.Config;
using Nsm.Core;
using Nsm.Distributed;
using Nsm.Models;
using Nsm.Registry;
using Nsm.Tasks;

namespace Nsm.Training;

/// <summary>
/// Trains any <see cref="SequenceModel"/> on any <see cref="ITask"/>: AdamW with weight-decay
/// groups, warm-up + cosine schedule, gradient clipping, periodic evaluation, checkpoints,
/// metrics.jsonl + TensorBoard, summary.json. Each step runs in its own dispose scope.
/// </summary>
public sealed class Trainer
{
    public const string SummaryFile = "summary.json";

    /// <summary>How summary.json is written: indented, non-finite numbers as null.</summary>
    private static readonly JsonSerializerOptions SummaryJson = NonFiniteAsNullConverter.With(ConfigLoader.WriteOptions);

    /// <summary>With train.nonfinite = skip, this many non-finite steps in a row end the run.</summary>
    public const int MaxSkippedInARow = 10;

    private readonly RunConfig config;
    private readonly string runDir;
    private readonly TextWriter output;
    private readonly Communicator comm;

    /// <param name="config">The resolved run config.</param>
    /// <param name="runDir">Folder for config, checkpoint, metrics and summary.</param>
    /// <param name="output">Where progress lines go (Console.Out for the CLI).</param>
    /// <param name="comm">
    /// The data-parallel ranks (docs/distributed.md); null = one process. Each rank trains on
    /// train.batch_size rows of the batch one process would draw with world_size x that;
    /// rank 0 alone prints and writes the run folder.
    /// </param>
    public Trainer(RunConfig config, string runDir, TextWriter? output = null, Communicator? comm = null)
    {
        this.config = config;
        this.runDir = runDir;
        this.comm = comm ?? Communicator.Single;
        this.output = this.comm.IsRoot ? output ?? TextWriter.Null : TextWriter.Null;
    }

    /// <summary>Loss of every logged step, in order (for tests and plots).</summary>
    public List<(long Step, double Loss)> LossHistory { get; } = [];

    /// <summary>Raised after every optimiser step with the number of steps done.</summary>
    public event Action<long>? StepCompleted;

    /// <summary>
    /// Trains from scratch, or from the checkpoint in runDir when resume is true. When
    /// cancelled, finishes the current step, writes a checkpoint and returns null (no final
    /// evaluation, no summary), so that resuming reproduces the uninterrupted run.
    /// </summary>
    public RunSummary? Run(bool resume = false, CancellationToken cancel = default)
    {
        // The full check (names, cross-field rules) before anything is built; the CLI has printed its warnings.
        ConfigValidator.Validate(config);
        var train = config.Train;
        var device = Devices.Resolve(train.Device);
        if (train.Threads > 0) torch.set_num_threads(train.Threads);
        torch.manual_seed(train.Seed);

        var task = TaskRegistry.Create(config.Task, train.Seed);
        var model = ModelRegistry.Create(config.Model, task.Spec);
        model.to(device);

        if (comm.Size > 1 && model is IAdaptiveSlots { ManageSlotsEvery: > 0 })
            throw new ConfigException($"model.manage_slots_every > 0 (slots that change in training) is not supported with {comm.Size} MPI ranks; train it in one process");
        // Nothing in the run folder is read or written before its lock is held (by rank 0; the others only read it on resume).
        using var folderLock = comm.IsRoot ? RunFolderLock.Acquire(runDir, create: !resume) : null;
        // A run killed inside a checkpoint write left its journal or temporary files: finish or drop that write.
        if (comm.IsRoot) CheckpointWrite.Recover(runDir);
        // Slots that change in training are held physically: the optimizer is made for the slots
        // the model holds (the checkpoint's on resume; only the initially active ones otherwise).
        var adaptive = model is IAdaptiveSlots { ManageSlotsEvery: > 0 } a ? a : null;
        if (resume) Checkpoint.LoadSlotCounts(runDir, model);
        else adaptive?.Compact();
        var optimizer = CreateOptimizer(model, train);
        var schedule = new LearningRateSchedule(train.Lr, train.WarmupSteps, train.Steps, train.MinLrRatio);

        var state = new TrainerState(0, 0, 0);
        if (resume)
        {
            Checkpoint.LoadWeights(Path.Combine(runDir, Checkpoint.WeightsFile), model);
            Checkpoint.LoadOptimizer(runDir, optimizer);
            Checkpoint.LoadRng(runDir);
            state = Checkpoint.LoadState(runDir);
            if (state.WorldSize != comm.Size)
                throw new ConfigException($"{runDir} was trained with world_size {state.WorldSize} (MPI ranks); resume it with the same number (mpirun -np {state.WorldSize}), not {comm.Size}");
        }
        if (comm.IsRoot)
        {
            Directory.CreateDirectory(runDir);
            AtomicFile.WriteAllText(Path.Combine(runDir, Checkpoint.ConfigFile), ConfigLoader.Serialize(config));
        }

        using var metrics = comm.IsRoot ? new MetricsLog(runDir, resume ? state.Step : null) : null;
        var progress = new ProgressReporter(output, train.Steps, ProgressReporter.IsTerminal && output == Console.Out);
        var parameters = model.parameters().ToList();
        comm.CollectiveTimeout = train.CollectiveTimeoutS > 0 ? TimeSpan.FromSeconds(train.CollectiveTimeoutS) : Timeout.InfiniteTimeSpan;
        // Every rank starts from rank 0's weights (they already agree when seeded alike; DDP does the same).
        GradientSync.BroadcastParameters(comm, parameters);
        var statistics = model.buffers().Where(b => b.dtype == ScalarType.Float32).ToList();
        // Each rank trains on grad_accum micro-batches of batch_size rows per step.
        var rankBatch = (long)train.GradAccum * train.BatchSize;
        var globalBatch = comm.Size * rankBatch;
        var accumulation = train.GradAccum > 1 ? $" in {train.GradAccum} micro-batches of {train.BatchSize}" : "";
        var ranks = comm.Size > 1 ? $" on each of {comm.Size} MPI ranks" : "";
        var layout = accumulation.Length + ranks.Length > 0 ? $"{accumulation}{ranks} (global batch {globalBatch})" : "";
        progress.Line($"model {config.Model.Kind}: {model.ParameterCount():N0} parameters; task {task.Name}; {train.Steps} steps on {device.type} with {torch.get_num_threads()} threads{layout}");

        var wall = Stopwatch.StartNew();
        var trainTime = Stopwatch.StartNew();
        var step = state.Step;
        var tokens = state.TokensSeen;
        var previousSeconds = state.TrainSeconds;
        double lastLoss = double.NaN, windowLoss = 0;
        long windowTokens = 0, windowSteps = 0, windowLossSteps = 0, skippedInARow = 0, replicaChecks = 0;
        // Time in the gradient allreduce (packing, waiting for the slowest rank, unpacking) over the log window.
        var allReduceClock = new Stopwatch();
        var allReduceTotal = TimeSpan.Zero;
        var windowClock = Stopwatch.StartNew();
        var slotStatistics = train.SlotStatistics ? model as ISlotStatistics : null;
        model.train();
        using var gcPause = GcPause.Start();

        // With K > 1 the ranks stop on what they agreed in the last allreduce, not each on its own clock.
        var agreed = default(StopVotes);
        while (step < train.Steps)
        {
            var timeUp = train.MaxSeconds > 0 && previousSeconds + trainTime.Elapsed.TotalSeconds >= train.MaxSeconds;
            if (comm.Size > 1 ? agreed.TimeUp : timeUp) break;
            var lr = schedule.At(step);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;

            gcPause.Renew();
            using (var scope = NewDisposeScope())
            {
                // The batch of all ranks together; this rank trains on its rows (all of them in one process).
                using var globalRows = task.TrainBatch(step, (int)globalBatch, device);
                using var batch = comm.Size > 1 ? GradientAccumulation.Rows(globalRows, comm.Rank * rankBatch, rankBatch) : globalRows;
                optimizer.zero_grad();
                if (IsLogStep(step + 1)) slotStatistics?.WatchNextPass();
                // With micro-batches the gradient is already in .grad (total stays null); otherwise backward follows the finiteness check.
                Tensor? total = null;
                long scored;
                bool finite;
                if (train.GradAccum > 1)
                {
                    (lastLoss, scored) = GradientAccumulation.Run(model, batch, train.BatchSize, parameters, statistics, task.Spec.Output, train.LabelSmoothing);
                    finite = double.IsFinite(lastLoss);
                }
                else
                {
                    var logits = model.forward(batch.Inputs, batch.PaddingMask);
                    (var loss, _, scored) = LossFunctions.CrossEntropy(logits, batch, task.Spec.Output, train.LabelSmoothing);
                    total = model.AuxiliaryLoss() is { } aux ? loss + aux : loss;
                    lastLoss = loss.item<float>();
                    // A non-finite loss never reaches the weights: its step is refused before backward.
                    // With no auxiliary loss, total is loss itself: one read of the value per step.
                    finite = double.IsFinite(ReferenceEquals(total, loss) ? lastLoss : total.item<float>());
                }
                if (comm.Size > 1)
                {
                    // Every rank joins the allreduce; a non-finite loss on any rank makes the global one NaN, so all skip alike.
                    if (finite) total?.backward();
                    FaultInjection.BeforeAllReduce(comm.Rank, step + 1);
                    allReduceClock.Start();
                    (lastLoss, agreed) = GradientSync.AllReduce(comm, parameters, statistics, finite ? lastLoss : double.NaN, scored, new StopVotes(timeUp, cancel.IsCancellationRequested), step + 1);
                    allReduceClock.Stop();
                    finite = double.IsFinite(lastLoss);
                }
                if (finite)
                {
                    if (comm.Size == 1) total?.backward();
                    // After the allreduce every rank holds the global gradient, so this is the global norm.
                    if (train.GradClip > 0) nn.utils.clip_grad_norm_(parameters, train.GradClip);
                    optimizer.step();
                    skippedInARow = 0;
                }
                else
                {
                    skippedInARow++;
                    if (train.NonFinite == NonFinitePolicy.Stop)
                        throw new TrainingDivergedException($"loss became {lastLoss} at step {step + 1}; the weights did not take that step and the last checkpoint is unchanged (train.nonfinite = stop); lower train.lr or enable train.grad_clip");
                    if (skippedInARow >= MaxSkippedInARow)
                        throw new TrainingDivergedException($"loss was non-finite for {MaxSkippedInARow} steps in a row (steps {step + 2 - MaxSkippedInARow} to {step + 1}; train.nonfinite = skip); the weights never took those steps; lower train.lr or enable train.grad_clip");
                    progress.Line($"step {step + 1}: loss {lastLoss}, update skipped (train.nonfinite = skip)");
                }
                var batchTokens = globalRows.Inputs.shape[0] * globalRows.Inputs.shape[1];
                tokens += batchTokens;
                windowTokens += batchTokens;
            }
            step++;
            FaultInjection.AfterStep(comm.Rank, step, parameters);
            if (comm.Size > 1 && train.ReplicaCheckEvery > 0 && step % train.ReplicaCheckEvery == 0)
            {
                ReplicaCheck.Check(comm, parameters.Select(p => (Tensor)p).Concat(statistics), step);
                replicaChecks++;
            }
            // Between steps, so no autograd graph holds the old shapes: pruned slots leave the tensors, new ones join.
            if (adaptive is not null && step % adaptive.ManageSlotsEvery == 0) OptimizerSlots.Remap(optimizer, adaptive.ManageSlots());
            StepCompleted?.Invoke(step);
            windowSteps++;
            if (double.IsFinite(lastLoss))
            {
                windowLoss += lastLoss;
                windowLossSteps++;
            }
            progress.Tick(step, lastLoss);

            if (IsLogStep(step))
            {
                var seconds = windowClock.Elapsed.TotalSeconds;
                var tokensPerSecond = windowTokens / Math.Max(seconds, 1e-9);
                var meanLoss = windowLossSteps > 0 ? windowLoss / windowLossSteps : double.NaN;
                var eta = TimeSpan.FromSeconds(seconds / windowSteps * (train.Steps - step));
                progress.Log(step, meanLoss, lr, tokensPerSecond, eta);
                var record = new Dictionary<string, double> { ["loss"] = meanLoss, ["lr"] = lr, ["tokens_per_sec"] = tokensPerSecond, ["tokens"] = tokens };
                if (comm.Size > 1) record["allreduce_ms"] = allReduceClock.Elapsed.TotalMilliseconds / windowSteps;
                allReduceTotal += allReduceClock.Elapsed;
                allReduceClock.Reset();
                if (slotStatistics is not null)
                {
                    foreach (var (key, value) in slotStatistics.SlotStatistics()) record[key] = value;
                    var importances = slotStatistics.ActiveImportances();
                    foreach (var (layer, values) in importances) metrics?.Histogram(step, "train", SlotStatisticKeys.ImportanceHistogram(layer), values);
                }
                metrics?.Write(step, "train", record);
                LossHistory.Add((step, meanLoss));
                windowLoss = 0;
                windowSteps = 0;
                windowLossSteps = 0;
                windowTokens = 0;
                windowClock.Restart();
            }
            if (train.EvalEvery > 0 && step % train.EvalEvery == 0 && step != train.Steps)
                RecordEval(model, task, device, step, metrics, progress);
            if (train.CheckpointEvery > 0 && step % train.CheckpointEvery == 0 && step != train.Steps)
                SaveCheckpoint(model, optimizer, new TrainerState(step, tokens, previousSeconds + trainTime.Elapsed.TotalSeconds));
            if ((comm.Size > 1 ? agreed.Cancelled : cancel.IsCancellationRequested) && step < train.Steps)
            {
                SaveCheckpoint(model, optimizer, new TrainerState(step, tokens, previousSeconds + trainTime.Elapsed.TotalSeconds));
                progress.Line($"interrupted at step {step}; checkpoint written to {runDir} (continue with --resume)");
                return null;
            }
        }

        var trainSeconds = previousSeconds + trainTime.Elapsed.TotalSeconds;
        trainTime.Stop();
        // The saved model holds its active slots only, and slots.json says how many.
        if (adaptive is not null) OptimizerSlots.Remap(optimizer, adaptive.Compact());
        var final = RecordEval(model, task, device, step, metrics, progress);
        SaveCheckpoint(model, optimizer, new TrainerState(step, tokens, trainSeconds));

        var summary = new RunSummary(
            config.Model.Kind, task.Name, model.ParameterCount(), step, tokens,
            tokens / Math.Max(trainSeconds, 1e-9), double.IsFinite(lastLoss) ? lastLoss : null,
            new EvalSummary(final.Loss, final.Accuracy, final.Perplexity, final.BitsPerToken, final.Count) { BitsPerCharacter = (task as ITextTask)?.BitsPerCharacter(final.Loss) },
            wall.Elapsed.TotalSeconds + (resume ? previousSeconds : 0), torch.get_num_threads(), device.type.ToString().ToLowerInvariant())
        {
            SlotStatistics = (model as ISlotStatistics)?.SlotStatistics().Where(kv => double.IsFinite(kv.Value)).ToDictionary(),
            WorldSize = comm.Size,
            GlobalBatch = globalBatch,
            AllReduceMsPerStep = comm.Size > 1 && step > state.Step ? (allReduceTotal + allReduceClock.Elapsed).TotalMilliseconds / (step - state.Step) : null,
        };
        if (comm.IsRoot) AtomicFile.WriteAllText(Path.Combine(runDir, SummaryFile), JsonSerializer.Serialize(summary, SummaryJson));
        if (replicaChecks > 0) progress.Line($"replica check: the weights of all {comm.Size} ranks were identical at each of {replicaChecks} checks (train.replica_check_every = {train.ReplicaCheckEvery})");
        progress.Line($"done: {step} steps, eval loss {final.Loss:F4}, accuracy {final.Accuracy:P2}, {summary.TrainTokensPerSec:F0} tok/s; wrote {runDir}");
        return summary;
    }

    /// <summary>Whether the metrics of step (1-based) are recorded: every log_every steps and the last.</summary>
    private bool IsLogStep(long step) => step % config.Train.LogEvery == 0 || step == config.Train.Steps;

    /// <summary>Rank 0 writes the checkpoint (every rank holds the same weights and optimizer state).</summary>
    private void SaveCheckpoint(SequenceModel model, AdamW optimizer, TrainerState state)
    {
        if (comm.IsRoot) Checkpoint.Save(runDir, config, model, optimizer, state with { WorldSize = comm.Size });
    }

    // The ranks share the evaluation (each runs every K-th batch, the sums are reduced); rank 0 records it.
    private EvalResult RecordEval(SequenceModel model, ITask task, Device device, long step, MetricsLog? metrics, ProgressReporter progress)
    {
        var result = Evaluator.Evaluate(model, task, config.Eval.BatchFor(config.Train), device, comm: comm);
        metrics?.Write(step, "eval", new Dictionary<string, double> { ["loss"] = result.Loss, ["accuracy"] = result.Accuracy });
        progress.Line($"eval  step {step,6}  loss {result.Loss:F4}  accuracy {result.Accuracy:P2}");
        return result;
    }

    /// <summary>
    /// AdamW with two groups: matrices (dim >= 2) get weight decay; vectors (norm gains,
    /// biases, importance scores, initial-state vectors) do not.
    /// </summary>
    public static AdamW CreateOptimizer(SequenceModel model, TrainConfig train)
    {
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (var p in model.parameters().Where(p => p.requires_grad))
            (p.dim() >= 2 ? decay : noDecay).Add(p);
        var groups = new List<AdamW.ParamGroup>
        {
            new(decay, new AdamW.Options { weight_decay = train.WeightDecay, LearningRate = train.Lr }),
            new(noDecay, new AdamW.Options { weight_decay = 0.0, LearningRate = train.Lr }),
        };
        return optim.AdamW(groups, train.Lr, train.Beta1, train.Beta2, 1e-8, train.WeightDecay);
    }
}

/// <summary>Training produced a non-finite loss.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
