using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Nsm.Checkpoints;
using Nsm.Cli.Commands;
using Nsm.Core;
using Nsm.Training;

namespace Nsm.Cli;

/// <summary>
/// The <c>nsm</c> command tree (System.CommandLine) and its error policy: bad input of any kind is
/// one <c>error:</c> line on stderr and exit code 2; a diverging run is exit code 1.
/// </summary>
public static class CommandLine
{
    public const string Description =
        "Neural State Machines and baselines on TorchSharp: train, evaluate and sample models; benchmark them.\n" +
        "Exit codes: 0 done; 1 an unexpected error (NSM_DEBUG=1 shows the stack trace); " +
        "2 bad input or a non-finite loss (one 'error:' line on stderr); 130 interrupted by Ctrl+C (checkpoint written).";

    /// <summary>Builds the command tree: every command, its options with their defaults, --help and --version.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand(Description)
        {
            TrainCommand.Create(),
            EvalCommand.Create(),
            GenerateCommand.Create(),
            ConfigCommand.Create(),
            ScaleCommand.Create(),
            StreamCommand.Create(),
            BenchCommand.Create(),
            ReportCommand.Create(),
            InspectCommand.Create(),
            SlotsCommand.Create(),
        };
        root.HelpName = "nsm";
        root.Options.OfType<VersionOption>().Single().Action = new VersionAction();
        // `nsm` alone prints the overview, with the exit code of a usage error.
        root.SetAction(parse =>
        {
            new HelpAction().Invoke(parse);
            return 2;
        });
        return root;
    }

    /// <summary>Parses and runs one command line; returns the exit code.</summary>
    /// <param name="args">The arguments after the program name.</param>
    /// <param name="error">Where error and warning lines go (stderr by default).</param>
    /// <param name="output">Where results, help and progress go (stdout by default).</param>
    public static int Run(string[] args, TextWriter? error = null, TextWriter? output = null)
    {
        error ??= Console.Error;
        output ??= Console.Out;
        // `nsm help [command ...]` is `nsm [command ...] --help`, as in the first version of the tool.
        if (args is ["help", .. var rest]) args = [.. rest, "--help"];
        var parse = Create().Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            error.WriteLine($"error: {ParseErrors.Describe(parse)}");
            return 2;
        }
        try
        {
            // Exceptions reach the handlers below; Ctrl+C is handled by `nsm train` itself.
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (Exception e) when (e is UsageException or ConfigException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or RunFolderInUseException)
        {
            error.WriteLine($"error: {FirstLine(e.Message)}");
            return 2;
        }
        catch (IOException e) when (e is CheckpointWriteException || e.HResult is NoSpaceLeft or DiskQuotaExceeded)
        {
            // A full disk is the machine's state, not a bug: one line that names it and the path, as for bad input.
            error.WriteLine($"error: {FirstLine(e.Message)}");
            return 2;
        }
        catch (TrainingDivergedException e)
        {
            error.WriteLine($"error: {FirstLine(e.Message)}");
            return 2;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("NSM_DEBUG") is null)
        {
            error.WriteLine($"error: {e.GetType().Name}: {FirstLine(e.Message)} (set NSM_DEBUG=1 for the stack trace)");
            return 1;
        }
    }

    /// <summary>ENOSPC and EDQUOT on Linux, which .NET gives as the IOException's HResult.</summary>
    private const int NoSpaceLeft = 28, DiskQuotaExceeded = 122;

    private static string FirstLine(string message) => message.Split('\n')[0].TrimEnd();
}
