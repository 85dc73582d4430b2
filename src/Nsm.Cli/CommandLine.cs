using Nsm.Cli.Commands;
using Nsm.Core;
using Nsm.Training;

namespace Nsm.Cli;

/// <summary>Dispatches <c>nsm</c> sub-commands and turns known failures into one-line errors with exit code 2.</summary>
public static class CommandLine
{
    public static readonly IReadOnlyDictionary<string, (Func<IReadOnlyList<string>, int> Run, string Usage)> Commands =
        new Dictionary<string, (Func<IReadOnlyList<string>, int>, string)>
        {
            ["train"] = (TrainCommand.Run, TrainCommand.Usage),
            ["eval"] = (EvalCommand.Run, EvalCommand.Usage),
            ["generate"] = (GenerateCommand.Run, GenerateCommand.Usage),
            ["config"] = (ConfigCommand.Run, ConfigCommand.Usage),
            ["scale"] = (ScaleCommand.Run, ScaleCommand.Usage),
            ["stream"] = (StreamCommand.Run, StreamCommand.Usage),
            ["bench"] = (BenchCommand.Run, BenchCommand.Usage),
            ["report"] = (ReportCommand.Run, ReportCommand.Usage),
        };

    public static int Run(string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine("nsm: Neural State Machines and baselines on TorchSharp\n\nusage:");
            foreach (var (_, command) in Commands) Console.WriteLine("  " + command.Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (!Commands.TryGetValue(args[0], out var entry))
        {
            error.WriteLine($"error: unknown command '{args[0]}'; commands: {string.Join(", ", Commands.Keys)}");
            return 2;
        }
        try
        {
            return entry.Run(args.Skip(1).ToList());
        }
        catch (Exception e) when (e is UsageException or ConfigException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            error.WriteLine($"error: {FirstLine(e.Message)}");
            return 2;
        }
        catch (TrainingDivergedException e)
        {
            error.WriteLine($"error: {FirstLine(e.Message)}");
            return 1;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("NSM_DEBUG") is null)
        {
            error.WriteLine($"error: {e.GetType().Name}: {FirstLine(e.Message)} (set NSM_DEBUG=1 for the stack trace)");
            return 1;
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].TrimEnd();
}
