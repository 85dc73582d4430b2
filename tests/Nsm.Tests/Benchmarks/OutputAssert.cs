using System.Text.Json.Nodes;
using Nsm.Benchmarks;

namespace Nsm.Tests.Benchmarks;

/// <summary>Checks of a benchmark output folder: results.json structure, report.md, PNG files.</summary>
public static class OutputAssert
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Parses results.json as plain JSON (not through the record type) and checks the fields every record must have.</summary>
    public static JsonArray Results(string dir)
    {
        var path = Path.Combine(dir, ResultsWriter.ResultsFile);
        Assert.True(File.Exists(path), $"{path} missing");
        var array = Assert.IsType<JsonArray>(JsonNode.Parse(File.ReadAllText(path)));
        Assert.NotEmpty(array);
        foreach (var item in array)
        {
            var record = Assert.IsType<JsonObject>(item);
            foreach (var key in new[] { "model", "mode", "suite", "status", "machine", "command" })
                Assert.True(record.ContainsKey(key), $"record without '{key}': {record.ToJsonString()}");
            var machine = record["machine"]!.AsObject();
            foreach (var key in new[] { "cpu_model", "logical_cores", "threads", "dotnet", "torchsharp", "git_commit", "date_utc" })
                Assert.True(machine.ContainsKey(key), $"machine info without '{key}'");
            Assert.True(machine["threads"]!.GetValue<int>() >= 1);
        }
        return array;
    }

    /// <summary>report.md exists, has a title and a table, and every image it links exists as a real PNG.</summary>
    public static string Report(string dir, int minImages)
    {
        var path = Path.Combine(dir, ResultsWriter.ReportFile);
        Assert.True(File.Exists(path), $"{path} missing");
        var text = File.ReadAllText(path);
        Assert.StartsWith("# ", text);
        Assert.Contains("| --- |", text);
        Assert.Contains("- Machine: ", text);
        var images = System.Text.RegularExpressions.Regex.Matches(text, @"!\[[^\]]*\]\(([^)]+\.png)\)").Select(m => m.Groups[1].Value).ToList();
        Assert.True(images.Count >= minImages, $"report links {images.Count} images, expected at least {minImages}");
        foreach (var image in images) Png(Path.Combine(dir, image));
        return text;
    }

    public static void Png(string path)
    {
        Assert.True(File.Exists(path), $"{path} missing");
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path} is only {bytes.Length} bytes");
        Assert.Equal(PngSignature, bytes[..8]);
    }
}
