using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Training;

/// <summary>
/// Records metrics of a run as JSON lines (<c>metrics.jsonl</c>, one object per record with
/// <c>step</c> and <c>split</c>) and as TensorBoard scalars (<c>tensorboard/</c>).
/// </summary>
public sealed class MetricsLog : IDisposable
{
    public const string FileName = "metrics.jsonl";
    private readonly StreamWriter writer;
    private readonly SummaryWriter? tensorboard;

    /// <param name="runDir">Run folder.</param>
    /// <param name="keepUpToStep">When resuming: records after this step are dropped first, so the log matches an uninterrupted run.</param>
    /// <param name="enableTensorBoard">Also write TensorBoard event files.</param>
    public MetricsLog(string runDir, long? keepUpToStep, bool enableTensorBoard = true)
    {
        var path = Path.Combine(runDir, FileName);
        if (keepUpToStep is { } keep && File.Exists(path))
        {
            var kept = File.ReadAllLines(path).Where(line =>
            {
                try { return JsonNode.Parse(line, documentOptions: StrictJson.Document)?["step"]?.GetValue<long>() <= keep; }
                catch (JsonException) { return false; }
            });
            AtomicFile.Write(path, tmp => File.WriteAllLines(tmp, kept));
        }
        else if (keepUpToStep is null && File.Exists(path))
        {
            File.Delete(path);
        }
        writer = new StreamWriter(path, append: true) { AutoFlush = true };
        if (enableTensorBoard) tensorboard = utils.tensorboard.SummaryWriter(Path.Combine(runDir, "tensorboard"));
    }

    public void Write(long step, string split, IReadOnlyDictionary<string, double> values)
    {
        var record = new JsonObject { ["step"] = step, ["split"] = split };
        foreach (var (key, value) in values)
        {
            record[key] = double.IsFinite(value) ? value : null;
            if (double.IsFinite(value)) tensorboard?.add_scalar($"{split}/{key}", (float)value, (int)step);
        }
        writer.WriteLine(record.ToJsonString());
    }

    /// <summary>A histogram of values as TensorBoard's <c>split/tag</c> (metrics.jsonl holds only scalars).</summary>
    public void Histogram(long step, string split, string tag, float[] values)
    {
        if (tensorboard is null || values.Length == 0) return;
        using var t = tensor(values);
        tensorboard.add_histogram($"{split}/{tag}", t, (int)step);
    }

    public void Dispose() => writer.Dispose();
}
