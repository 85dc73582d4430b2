using System.Text.Json.Nodes;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Nsm.Checkpoints;
using Nsm.Core;
using Nsm.Models.Transformer;
using Nsm.Registry;
using Nsm.Tests.Support;

namespace Nsm.Tests.Python;

/// <summary>
/// docs/python.md's numpy-only loader (docs/python/load_safetensors.py) reads what the C# side
/// saves: every tensor of a model.safetensors and of a file with every dtype we write has the
/// same name, shape, dtype and exact values in numpy, and one Transformer block recomputed in
/// numpy from the loaded weights (Python/check_loader.py) gives the C# block's output within 1e-5.
/// </summary>
public sealed class PythonLoaderTests(ITestOutputHelper log) : SingleThreadTest
{
    private const string LoaderPath = "docs/python/load_safetensors.py";

    [PythonNumpyFact]
    public void NumpyLoaderReadsEveryTensorAndRecomputesATransformerBlock()
    {
        using var dir = TestConfigs.TempDir();
        manual_seed(5);
        var config = TestConfigs.TinyCopy();
        var task = TaskRegistry.Create(config.Task, config.Train.Seed);
        Assert.True(task.Spec.Causal, "the numpy block applies a causal mask");
        using var model = ModelRegistry.Create(config.Model, task.Spec);
        model.eval();
        // Norm gains start at 1: move every weight so a loader that dropped or mixed up a tensor shows.
        using (no_grad())
            foreach (var parameter in model.parameters()) parameter.add_(randn_like(parameter) * 0.2);
        var weightsPath = dir.Sub(Checkpoint.WeightsFile);
        Checkpoint.SaveWeights(weightsPath, model);

        var dtypes = EveryDtype();
        var dtypesPath = dir.Sub("dtypes.safetensors");
        SafeTensors.Save(dtypesPath, dtypes);

        var x = randn(2, 7, config.Model.DModel);                        // (B, N, d)
        var block = (TransformerBlock)model.named_modules().Single(m => m.name == "layers.0").module;
        Tensor expected;
        using (no_grad()) expected = block.forward(x, null);
        var inputPath = dir.Sub("input.safetensors");
        SafeTensors.Save(inputPath, new Dictionary<string, Tensor> { ["x"] = x });

        var outPath = dir.Sub("numpy.json");
        var script = Path.Combine(ExternalProcess.RepositoryRoot(), "tests", "Nsm.Tests", "Python", "check_loader.py");
        var run = ExternalProcess.Run(PythonNumpy.Interpreter!, [script, weightsPath, dtypesPath, inputPath,
            $"{config.Model.NumHeads}", $"{config.Model.RopeBase}", outPath], dir.Path, TimeSpan.FromSeconds(60),
            new Dictionary<string, string?> { ["PYTHONDONTWRITEBYTECODE"] = "1" });
        Assert.True(run.Code == 0, run.Printed);
        var report = JsonNode.Parse(File.ReadAllText(outPath))!;

        Assert.Equal("nsm", report["metadata"]!["library"]!.GetValue<string>());
        AssertSame(model.state_dict(), report["model"]!.AsObject());
        AssertSame(dtypes, report["dtypes"]!.AsObject());

        var numpy = report["block_output"]!;
        Assert.Equal(expected.shape, numpy["shape"]!.AsArray().Select(d => d!.GetValue<long>()));
        var actual = numpy["values"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var reference = expected.to(ScalarType.Float64).flatten().data<double>().ToArray();
        var difference = actual.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        log.WriteLine($"{PythonNumpy.Interpreter}: largest |numpy - C#| over the block output {difference:E2}");
        Assert.True(difference <= 1e-5, $"numpy's Transformer block differs from C#'s by {difference:E2}");
        Assert.True(reference.Select(Math.Abs).Max() > 0.1, "the block output is too small to compare");
    }

    [Fact]
    public void PythonDocQuotesTheLoaderVerbatim()
    {
        var root = ExternalProcess.RepositoryRoot();
        var loader = File.ReadAllText(Path.Combine(root, LoaderPath)).TrimEnd('\n');
        var page = File.ReadAllText(Path.Combine(root, "docs", "python.md"));
        Assert.Contains("```python\n" + loader + "\n```", page);
        Assert.Contains(LoaderPath.Replace("docs/", ""), page);
        Assert.Contains("docs/python.md", File.ReadAllText(Path.Combine(root, "README.md")));
    }

    /// <summary>One tensor of every dtype SafeTensors writes, with values at the edges of their ranges.</summary>
    private static Dictionary<string, Tensor> EveryDtype() => new()
    {
        ["f64"] = randn(2, 3, dtype: ScalarType.Float64),
        ["f32"] = tensor(new[] { -1.5f, 0f, 3.25e-8f, float.MaxValue }),
        ["f16"] = randn(3, 2).to(ScalarType.Float16),
        ["bf16"] = randn(5).to(ScalarType.BFloat16),
        ["i64"] = tensor(new[] { long.MinValue / 4096, -1L, 0L, 1L << 52 }),
        ["i32"] = tensor(new[] { int.MinValue, -7, int.MaxValue }),
        ["i16"] = tensor(new short[] { short.MinValue, 3, short.MaxValue }),
        ["i8"] = tensor(new sbyte[] { sbyte.MinValue, -1, sbyte.MaxValue }),
        ["u8"] = tensor(new byte[] { 0, 7, 255 }).reshape(3, 1),
        ["bool"] = tensor(new[] { true, false, true, true }).reshape(2, 1, 2),
        ["scalar"] = tensor(2.5f),
    };

    /// <summary>numpy's dtype name for each dtype we save (bfloat16 comes back as float32: numpy has none).</summary>
    private static string NumpyName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => "float64", ScalarType.Float32 => "float32", ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "float32", ScalarType.Int64 => "int64", ScalarType.Int32 => "int32",
        ScalarType.Int16 => "int16", ScalarType.Int8 => "int8", ScalarType.Byte => "uint8", ScalarType.Bool => "bool",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    private static void AssertSame(IReadOnlyDictionary<string, Tensor> saved, JsonObject loaded)
    {
        Assert.Equal(saved.Keys.Order(StringComparer.Ordinal), loaded.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in saved)
        {
            var entry = loaded[name]!;
            Assert.True(NumpyName(tensor.dtype) == entry["dtype"]!.GetValue<string>(), $"{name}: dtype {entry["dtype"]} in numpy, {tensor.dtype} in C#");
            Assert.Equal(tensor.shape, entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()));
            var values = entry["values"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            var expected = tensor.to(ScalarType.Float64).flatten().data<double>().ToArray();
            Assert.True(expected.SequenceEqual(values), $"{name}: values differ");
        }
    }
}
