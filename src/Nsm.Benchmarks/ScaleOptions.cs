namespace Nsm.Benchmarks;

/// <summary>
/// Settings of <c>nsm scale</c> (suite "scale": all kinds at a matched parameter budget) and
/// of its one-layer variant (suite "layer": one layer of each kind at equal width).
/// </summary>
public sealed record ScaleOptions
{
    /// <summary>"scale" or "layer"; recorded in every record.</summary>
    public string Suite { get; init; } = "scale";
    /// <summary>Model kinds to measure; empty = every kind in the registry.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];
    /// <summary>Sequence lengths of the train/infer sweeps.</summary>
    public IReadOnlyList<int> Lengths { get; init; } = [256, 1024, 4096, 16384, 65536];
    /// <summary>Which of train, infer, generate to run.</summary>
    public IReadOnlyList<string> Modes { get; init; } = ScaleModes.All;
    /// <summary>Context lengths before the timed generation steps.</summary>
    public IReadOnlyList<int> Contexts { get; init; } = [1024, 16384, 65536];
    public int GenerateTokens { get; init; } = 16;
    public int PrefillChunk { get; init; } = 1024;
    /// <summary>Width, depth and heads of the reference model (and of every kind when params are not matched).</summary>
    public int DModel { get; init; } = 128;
    public int NumLayers { get; init; } = 2;
    public int NumHeads { get; init; } = 4;
    /// <summary>Extra model settings (key=value without the "model." prefix is not accepted: use model.x=y).</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];
    /// <summary>Give every kind the reference kind's parameter count by searching its width.</summary>
    public bool MatchParams { get; init; } = true;
    /// <summary>Parameter target when matching; 0 = the reference kind's count at DModel/NumLayers.</summary>
    public long TargetParams { get; init; }
    public string ReferenceModel { get; init; } = "transformer";
    public int VocabSize { get; init; } = 256;
    /// <summary>Tokens per batch: batch size = max(1, BatchTokens / length).</summary>
    public int BatchTokens { get; init; } = 8192;
    public int Warmup { get; init; } = 1;
    public int Repetitions { get; init; } = 3;
    /// <summary>Seconds one measurement may take before it is reported as timeout.</summary>
    public double BudgetSeconds { get; init; } = 60;
    /// <summary>Seconds allowed for consuming a generation context (untimed).</summary>
    public double PrefillBudgetSeconds { get; init; } = 180;
    /// <summary>Resident-memory cap of one measurement (child-process mode); 0 = none.</summary>
    public long MaxResidentBytes { get; init; } = 8L << 30;
    /// <summary>libtorch threads; 0 keeps the default.</summary>
    public int Threads { get; init; }
    /// <summary>Size of the sgemm that measures the machine's matmul peak.</summary>
    public int PeakMatrixSize { get; init; } = 2048;
    /// <summary>The command line that produced the run, recorded in the report.</summary>
    public string Command { get; init; } = "";

    /// <summary>A seconds-long version for tests and smoke runs: tiny widths and lengths.</summary>
    public static ScaleOptions Quick(string suite = "scale") => new()
    {
        Suite = suite,
        Lengths = [64, 128, 256],
        Contexts = [64, 256],
        GenerateTokens = 4,
        PrefillChunk = 64,
        DModel = 32,
        NumLayers = suite == "layer" ? 1 : 2,
        NumHeads = 4,
        VocabSize = 32,
        BatchTokens = 256,
        Warmup = 1,
        Repetitions = 2,
        BudgetSeconds = 20,
        PeakMatrixSize = 512,
        PrefillBudgetSeconds = 20,
        MatchParams = suite != "layer",
    };

    /// <summary>The one-layer comparison of issue 3: one layer of equal width at 1k/4k/16k, generation at 1k/16k/64k.</summary>
    public static ScaleOptions Layer() => new()
    {
        Suite = "layer",
        Lengths = [1024, 4096, 16384],
        Contexts = [1024, 16384, 65536],
        NumLayers = 1,
        MatchParams = false,
    };
}
