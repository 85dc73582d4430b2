using System.Runtime.InteropServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Distributed;

/// <summary>
/// A test seam for the fault tests: <c>NSM_TEST_FAULT=RANK:STEP:KIND</c> makes rank RANK, just
/// before the gradient allreduce of step STEP (1-based), <c>kill</c> itself with SIGKILL after
/// one second (a crash such as the OOM killer's, after the others are surely waiting),
/// <c>hang</c> (sleep forever: a hung rank), or <c>throw</c> (an exception in training); or,
/// after that step's update, <c>drift</c> (add 1e-3 to its first weight: replicas that disagree).
/// Unset, it does nothing; the variable is read once.
/// </summary>
internal static class FaultInjection
{
    public const string Variable = "NSM_TEST_FAULT";

    private static readonly (int Rank, long Step, string Kind)? Fault = Parse(Environment.GetEnvironmentVariable(Variable));

    /// <summary>Acts out the configured fault if it is this rank's and this step's.</summary>
    public static void BeforeAllReduce(int rank, long step)
    {
        if (Fault is not { } fault || fault.Rank != rank || fault.Step != step || fault.Kind == "drift") return;
        switch (fault.Kind)
        {
            case "kill":
                Thread.Sleep(1000);
                kill(Environment.ProcessId, 9);
                break;
            case "hang":
                Thread.Sleep(Timeout.Infinite);
                break;
            default:
                throw new InvalidOperationException($"fault injected by {Variable} at step {step}");
        }
    }

    /// <summary>Acts out a configured <c>drift</c> after the update of this rank's step.</summary>
    public static void AfterStep(int rank, long step, IReadOnlyList<Parameter> parameters)
    {
        if (Fault is not { Kind: "drift" } fault || fault.Rank != rank || fault.Step != step) return;
        using var noGrad = no_grad();
        using var first = parameters[0].view(-1).narrow(0, 0, 1);
        first.add_(1e-3);
    }

    private static (int, long, string)? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        var parts = value.Split(':');
        if (parts.Length != 3 || !int.TryParse(parts[0], out var rank) || !long.TryParse(parts[1], out var step) || parts[2] is not ("kill" or "hang" or "throw" or "drift"))
            throw new ArgumentException($"{Variable}={value}: expected RANK:STEP:kill|hang|throw|drift");
        return (rank, step, parts[2]);
    }

    [DllImport("libc.so.6")] private static extern int kill(int pid, int signal);
}
