using System.CommandLine;
using System.Globalization;
using Nsm.Benchmarks;
using Nsm.Checkpoints;
using Nsm.Inspection;

namespace Nsm.Cli.Commands;

/// <summary>
/// <c>nsm inspect --checkpoint DIR (--text TEXT | --example N) [--range A:B] [--out DIR]</c>:
/// pictures and numbers of what a trained model's slots (or a Transformer's attention) did on
/// one input, in DIR/inspect/ by default (replaced as a whole; the checkpoint is not touched).
/// </summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var checkpoint = EvalCommand.CheckpointOption();
        var text = CliOption.Text("--text", "TEXT", "text to inspect (tasks with a text vocabulary)");
        var example = CliOption.Text("--example", "N", "index of the task's evaluation example to inspect, from 0");
        var range = CliOption.Text("--range", "A:B", "positions A..B-1 to show [default: all]; the model still reads the whole input");
        var outDir = CliOption.Text("--out", "DIR", "folder to write [default: inspect/ in the checkpoint folder]");
        var overrides = CliOption.Overrides("override a key of the checkpoint's config (repeatable)");
        var command = new Command("inspect", "Draw what a trained model's slots do on one input: write routing, reads, slot evolution, importance; "
            + "inspect.json and a self-contained index.html. NSM and Transformer checkpoints.")
        {
            checkpoint, text, example, range, outDir, overrides,
        };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(checkpoint)!;
            return Run(parse, dir, parse.GetValue(text), parse.GetValue(example), parse.GetValue(range), parse.GetValue(outDir) ?? Path.Combine(dir, "inspect"), parse.GetValue(overrides) ?? []);
        });
        return command;
    }

    private static int Run(ParseResult parse, string dir, string? text, string? example, string? range, string outDir, IReadOnlyList<string> overrides)
    {
        if ((text is null) == (example is null)) throw new UsageException("give exactly one of --text and --example");
        var shown = range is null ? ((int, int)?)null : ParseRange(range);
        int? index = null;
        if (example is not null)
        {
            if (!int.TryParse(example, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
                throw new UsageException($"--example must be a whole number, got '{example}'");
            index = n;
        }
        var (config, task, model) = Checkpoint.LoadModel(dir, overrides);
        if (!Inspector.Kinds.Contains(config.Model.Kind))
            throw new UsageException($"model kind '{config.Model.Kind}' cannot be inspected; kinds that can: {string.Join(", ", Inspector.Kinds)}");
        InspectionReport report;
        try
        {
            using var input = index is { } i ? InspectionInput.FromExample(task, i) : InspectionInput.FromText(task, text!);
            var source = index is { } k ? $"evaluation example {k}" : "text";
            report = Inspector.Run(model, task, config.Model.Kind, input, shown, source);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        var files = WriteFolder(outDir, report);
        parse.Output().WriteLine($"wrote {Path.Combine(outDir, InspectionOutput.PageFile)}, {InspectionOutput.JsonFile} and {files} pictures in {outDir}");
        return 0;
    }

    /// <summary>"A:B" with whole numbers.</summary>
    private static (int, int) ParseRange(string range)
    {
        var parts = range.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var a)
            || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var b))
            throw new UsageException($"--range must be A:B with whole numbers, got '{range}'");
        return (a, b);
    }

    /// <summary>Writes into a fresh sibling folder, then swaps it in: a failure leaves the old folder as it was.</summary>
    private static int WriteFolder(string outDir, InspectionReport report)
    {
        var full = Path.GetFullPath(outDir);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var fresh = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(fresh);
        try
        {
            var files = InspectionOutput.Write(report, fresh).Count;
            if (Directory.Exists(full))
            {
                var old = Path.Combine(parent, $".{Path.GetFileName(full)}.old-{Guid.NewGuid():N}");
                Directory.Move(full, old);
                Directory.Move(fresh, full);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(fresh, full);
            }
            return files;
        }
        catch
        {
            if (Directory.Exists(fresh)) Directory.Delete(fresh, recursive: true);
            throw;
        }
    }
}
