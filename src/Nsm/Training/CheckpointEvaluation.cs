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
    /// <param name="overrides">Config overrides (<c>key=value</c>); eval.batch and eval.piece set the batch and the streamed piece.</param>
    public static (RunConfig Config, ITask Task, EvalResult Result) Evaluate(string dir, IEnumerable<string> overrides)
    {
        var (config, task, model) = Checkpoint.LoadModel(dir, overrides);
        using (model)
        {
            var device = Devices.Resolve(config.Train.Device);
            model.to(device);
            var batch = config.Eval.BatchFor(config.Train);
            var result = config.Eval.Piece > 0
                ? StreamingEvaluator.Evaluate(model, task, batch, config.Eval.Piece, device)
                : Evaluator.Evaluate(model, task, batch, device);
            return (config, task, result);
        }
    }
}
