using Nsm.Config;

namespace Nsm.Tests.Support;

/// <summary>Tiny configurations that train in well under a second.</summary>
public static class TestConfigs
{
    /// <summary>A 2-layer, width-32 model on a short copy task; override anything with dotted keys.</summary>
    public static RunConfig TinyCopy(params string[] overrides) => ConfigLoader.FromOverrides(new[]
    {
        "model.kind=transformer", "model.d_model=32", "model.num_layers=2", "model.num_heads=4",
        "task.name=copy", "task.vocab_size=8", "task.seq_len=6", "task.eval_examples=32",
        "train.steps=6", "train.batch_size=8", "train.warmup_steps=2", "train.eval_every=0", "train.log_every=2", "train.seed=3",
    }.Concat(overrides));

    /// <summary>A fresh temporary folder, deleted by the caller's using block.</summary>
    public static TempDir TempDir() => new();
}

public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nsm-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
