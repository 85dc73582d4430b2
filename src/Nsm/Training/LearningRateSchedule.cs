namespace Nsm.Training;

/// <summary>Linear warm-up to the peak rate, then cosine decay to min_lr_ratio * peak at the last step.</summary>
public sealed record LearningRateSchedule(double PeakLr, int WarmupSteps, int TotalSteps, double MinLrRatio)
{
    /// <summary>Learning rate for a 0-based step.</summary>
    public double At(long step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return PeakLr * (step + 1) / WarmupSteps;
        var decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        var progress = Math.Clamp((double)(step - WarmupSteps) / decaySteps, 0, 1);
        var minLr = PeakLr * MinLrRatio;
        return minLr + 0.5 * (PeakLr - minLr) * (1 + Math.Cos(Math.PI * progress));
    }
}
