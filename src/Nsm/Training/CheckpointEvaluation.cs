using TorchSharp;
using Nsm.Checkpoints;
using Nsm.Config;
using Nsm.Tasks;

namespace Nsm.Training;

/// <summary>
/// One evaluation of a saved run, as <c>nsm eval</c> makes it: the checkpoint's model rebuilt
/// for its config with the overrides (another task.seq_len, depth, ...), on the config's device,
/// scored on the task's held-out set in one call per batch or streamed piece tokens at a time.
/// </summary>
public static class CheckpointEvaluation
{
    /// <param name="dir">Checkpoint folder.</param>
    /// <param name="overrides">Config overrides (<c>key=value</c>).</param>
    /// <param name="batchSize">Examples per batch; 0 = the checkpoint's train.batch_size.</param>
    /// <param name="piece">Tokens per streamed piece; 0 = one call per batch.</param>
    public static (RunConfig Config, ITask Task, EvalResult Result) Evaluate(string dir, IEnumerable<string> overrides, int batchSize, int piece)
    {
        var (config, task, model) = Checkpoint.LoadModel(dir, overrides);
        using (model)
        {
            var device = Devices.Resolve(config.Train.Device);
            model.to(device);
            var batch = batchSize > 0 ? batchSize : config.Train.BatchSize;
            var result = piece > 0
                ? StreamingEvaluator.Evaluate(model, task, batch, piece, device)
                : Evaluator.Evaluate(model, task, batch, device);
            return (config, task, result);
        }
    }
}
