using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>The <c>train</c> section: optimiser, schedule, logging and checkpoints.</summary>
public sealed record TrainConfig
{
    /// <summary>Optimiser steps to run.</summary>
    [JsonPropertyName("steps"), ConfigRange(0, 1e9)]
    public int Steps { get; init; } = 500;

    /// <summary>Sequences per step (per micro-batch with grad_accum > 1, per rank under mpirun).</summary>
    [JsonPropertyName("batch_size"), ConfigRange(1, 1_000_000)]
    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// Micro-batches of batch_size rows per optimizer step (gradient accumulation); the step's
    /// gradient is that of one batch of grad_accum x batch_size rows, with the memory of one
    /// micro-batch. Default 1. Under mpirun each rank accumulates, so the global batch is
    /// world_size x grad_accum x batch_size.
    /// </summary>
    [JsonPropertyName("grad_accum"), ConfigRange(1, 1_000_000)]
    public int GradAccum { get; init; } = 1;

    /// <summary>Peak learning rate of AdamW.</summary>
    [JsonPropertyName("lr"), ConfigRange(0, 10)]
    public double Lr { get; init; } = 3e-3;

    /// <summary>Final learning rate of the cosine decay, as a fraction of lr.</summary>
    [JsonPropertyName("min_lr_ratio"), ConfigRange(0, 1)]
    public double MinLrRatio { get; init; } = 0.1;

    /// <summary>Linear warm-up steps.</summary>
    [JsonPropertyName("warmup_steps"), ConfigRange(0, 1e9)]
    public int WarmupSteps { get; init; } = 50;

    /// <summary>AdamW weight decay, applied to matrices only (not to norms, biases or embeddings' gains).</summary>
    [JsonPropertyName("weight_decay"), ConfigRange(0, 10)]
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>
    /// Label smoothing e of the training loss: targets put 1 - e on the label and e/C on each of
    /// the C classes; 0 (default) is plain cross-entropy. Evaluation always scores plain cross-entropy.
    /// </summary>
    [JsonPropertyName("label_smoothing"), ConfigRange(0, 0.99)]
    public double LabelSmoothing { get; init; }

    [JsonPropertyName("beta1"), ConfigRange(0, 0.99999)]
    public double Beta1 { get; init; } = 0.9;

    [JsonPropertyName("beta2"), ConfigRange(0, 0.99999)]
    public double Beta2 { get; init; } = 0.98;

    /// <summary>Global gradient-norm clip; 0 disables clipping.</summary>
    [JsonPropertyName("grad_clip"), ConfigRange(0, 1e6)]
    public double GradClip { get; init; } = 1.0;

    /// <summary>Seed of parameters, data order and sampling.</summary>
    [JsonPropertyName("seed"), ConfigRange(0, int.MaxValue)]
    public int Seed { get; init; } = 1;

    /// <summary>Evaluate every this many steps (and always at the end); 0 = only at the end.</summary>
    [JsonPropertyName("eval_every"), ConfigRange(0, 1e9)]
    public int EvalEvery { get; init; } = 100;

    /// <summary>Print and record metrics every this many steps.</summary>
    [JsonPropertyName("log_every"), ConfigRange(1, 1e9)]
    public int LogEvery { get; init; } = 20;

    /// <summary>
    /// At every log interval, also record the slot statistics of models with slots
    /// (layers.i.active_slots, importance_mean, importance_min, write_entropy, slot_state_bytes)
    /// and an importance histogram; they change no result.
    /// </summary>
    [JsonPropertyName("slot_statistics")]
    public bool SlotStatistics { get; init; } = true;

    /// <summary>Write a checkpoint every this many steps (and always at the end); 0 = only at the end.</summary>
    [JsonPropertyName("checkpoint_every"), ConfigRange(0, 1e9)]
    public int CheckpointEvery { get; init; } = 0;

    /// <summary>Intra-op threads for libtorch; 0 keeps libtorch's default.</summary>
    [JsonPropertyName("threads"), ConfigRange(0, 1024)]
    public int Threads { get; init; } = 0;

    /// <summary>Device to train on: "cpu", "cuda" or "cuda:N" (needs a CUDA libtorch package).</summary>
    [JsonPropertyName("device")]
    public string Device { get; init; } = "cpu";

    /// <summary>Stop after this many seconds of training (0 = no limit); for equal wall-clock budgets.</summary>
    [JsonPropertyName("max_seconds"), ConfigRange(0, 1e9)]
    public double MaxSeconds { get; init; }

    /// <summary>
    /// A step whose loss is NaN or infinite: "stop" ends the run (one error line; the weights never
    /// take that step and the last checkpoint stays loadable) or "skip" drops that step's update
    /// and goes on, stopping after 10 such steps in a row. Default "stop".
    /// </summary>
    [JsonPropertyName("nonfinite")]
    public NonFinitePolicy NonFinite { get; init; } = NonFinitePolicy.Stop;

    /// <summary>
    /// Under mpirun, the seconds one collective (the weights broadcast, a step's gradient
    /// allreduce) may wait for the slowest rank before this rank ends the job with an error line
    /// naming the ranks that never arrived; 0 = wait forever. Default 600 (10 minutes, the
    /// default of PyTorch's NCCL process groups); it must exceed the longest time one rank can
    /// spend alone between collectives (rank 0 writing a checkpoint, an evaluation).
    /// </summary>
    [JsonPropertyName("collective_timeout_s"), ConfigRange(0, 1e7)]
    public double CollectiveTimeoutS { get; init; } = 600;

    /// <summary>
    /// Under mpirun, every this many steps all ranks compare a hash of their weights and float
    /// buffers (one allgather of 8 bytes per rank) and the job stops with an error naming any rank
    /// whose weights differ from rank 0's; 0 (default) = never. For tests and debugging.
    /// </summary>
    [JsonPropertyName("replica_check_every"), ConfigRange(0, 1e9)]
    public int ReplicaCheckEvery { get; init; }
}
