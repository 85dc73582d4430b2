using System.CommandLine;
using Nsm.Benchmarks;

namespace Nsm.Cli.Commands;

/// <summary><c>nsm report</c>: docs/benchmarks.md from the output folders of scale, layer, bench and stream.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var scale = CliOption.Text("--scale", "DIR", "output folder of nsm scale");
        var layer = CliOption.Text("--layer", "DIR", "output folder of nsm scale --layer");
        var bench = CliOption.Text("--bench", "DIR", "output folder of nsm bench");
        var stream = CliOption.Text("--stream", "DIR", "output folder of nsm stream");
        var outFile = CliOption.Text("--out", "FILE", "the page to write [default: docs/benchmarks.md]");
        var images = CliOption.Text("--images", "DIR", "folder for the charts [default: benchmarks/ beside --out]");
        var command = new Command("report", "Write the benchmark page (docs/benchmarks.md) and its charts from the folders of scale, layer, bench and stream.")
        {
            scale, layer, bench, stream, outFile, images,
        };
        command.SetAction(parse =>
        {
            var page = parse.GetValue(outFile) ?? Path.Combine("docs", "benchmarks.md");
            var charts = parse.GetValue(images) ?? Path.Combine(Path.GetDirectoryName(page) is { Length: > 0 } d ? d : ".", "benchmarks");
            var inputs = new ReportInputs(parse.GetValue(scale), parse.GetValue(layer), parse.GetValue(bench), parse.GetValue(stream));
            var records = BenchmarkReport.Write(inputs, page, charts, parse.CommandText());
            parse.Output().WriteLine($"wrote {page} ({records.Count} records) and charts in {charts}");
            return 0;
        });
        return command;
    }
}
