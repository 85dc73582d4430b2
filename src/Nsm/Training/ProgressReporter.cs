using System.Diagnostics;
using System.Globalization;

namespace Nsm.Training;

/// <summary>
/// Prints one line per logging interval (step, loss, tokens/s, ETA) and, when the output is a
/// terminal, a live progress bar that is redrawn in place.
/// </summary>
internal sealed class ProgressReporter(TextWriter output, long totalSteps, bool live)
{
    private readonly Stopwatch sinceRedraw = Stopwatch.StartNew();
    private bool barShown;

    /// <summary>True when stdout is an interactive terminal.</summary>
    public static bool IsTerminal => !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null;

    public void Line(string text)
    {
        ClearBar();
        output.WriteLine(text);
    }

    public void Log(long step, double loss, double lr, double tokensPerSecond, TimeSpan eta) =>
        Line(string.Create(CultureInfo.InvariantCulture,
            $"step {step,6}/{totalSteps}  loss {loss,8:F4}  lr {lr:E2}  {tokensPerSecond,9:F0} tok/s  eta {Format(eta)}"));

    public void Tick(long step, double loss)
    {
        if (!live || sinceRedraw.ElapsedMilliseconds < 100) return;
        sinceRedraw.Restart();
        const int width = 30;
        var filled = totalSteps == 0 ? width : (int)(width * step / totalSteps);
        output.Write(string.Create(CultureInfo.InvariantCulture, $"\r[{new string('#', filled)}{new string('.', width - filled)}] {step}/{totalSteps} loss {loss:F4}"));
        barShown = true;
    }

    private void ClearBar()
    {
        if (!barShown) return;
        output.Write("\r" + new string(' ', 79) + "\r");
        barShown = false;
    }

    public static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:D2}s" : $"{t.TotalSeconds:F0}s";
}
