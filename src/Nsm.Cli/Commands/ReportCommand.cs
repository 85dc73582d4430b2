using Nsm.Benchmarks;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm report</c>: docs/benchmarks.md from the output folders of scale, layer, bench and stream.</summary>
public static class ReportCommand
{
    public const string Usage = "nsm report [--scale DIR] [--layer DIR] [--bench DIR] [--stream DIR] [--out docs/benchmarks.md] [--images docs/benchmarks]";

    public static int Run(IReadOnlyList<string> args)
    {
        var a = new Arguments(args, new HashSet<string> { "scale", "layer", "bench", "stream", "out", "images" });
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'; usage: {Usage}");
        var outFile = a.Get("out") ?? Path.Combine("docs", "benchmarks.md");
        var images = a.Get("images") ?? Path.Combine(Path.GetDirectoryName(outFile) is { Length: > 0 } d ? d : ".", "benchmarks");
        var inputs = new ReportInputs(a.Get("scale"), a.Get("layer"), a.Get("bench"), a.Get("stream"));
        var records = BenchmarkReport.Write(inputs, outFile, images, BenchmarkArguments.CommandLine("report", args));
        Console.WriteLine($"wrote {outFile} ({records.Count} records) and charts in {images}");
        return 0;
    }
}
