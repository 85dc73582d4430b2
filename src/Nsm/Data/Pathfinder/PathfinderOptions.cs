namespace Nsm.Data.Pathfinder;

/// <summary>
/// How hard a Pathfinder image is (Linsley et al. 2018; Long Range Arena, Tay et al. 2020).
/// The defaults approximate LRA's easiest 32x32 level: two target curves of 6 dashes, short
/// distractors, dashes of 2 pixels with 1-pixel gaps. They are our choice in the spirit of the
/// original generator, not a port of it.
/// </summary>
internal sealed record PathfinderOptions
{
    /// <summary>Side of the square image in pixels. Default 32 (LRA's Pathfinder-32).</summary>
    public int Size { get; init; } = 32;

    /// <summary>Distractor curves drawn besides the two target curves. Default 6.</summary>
    public int Distractors { get; init; } = 6;

    /// <summary>Points sampled (one pixel apart) per dash. Default 2.</summary>
    public int DashLength { get; init; } = 2;

    /// <summary>Points skipped between two dashes of a curve: the gap a model must bridge. Default 1.</summary>
    public int GapLength { get; init; } = 1;

    /// <summary>Dashes of a target curve (its length; LRA's "contour length"). Default 6.</summary>
    public int Dashes { get; init; } = 6;

    /// <summary>Largest change of direction from one dash to the next, in radians; keeps curves smooth. Default π/6.</summary>
    public double MaxTurn { get; init; } = Math.PI / 6;

    /// <summary>Intensity of curve pixels. Default 160.</summary>
    public byte CurveLevel { get; init; } = 160;

    /// <summary>Intensity of marker pixels, above <see cref="CurveLevel"/> so markers stand out. Default 255.</summary>
    public byte MarkerLevel { get; init; } = 255;

    /// <summary>Markers are squares of side 2·MarkerRadius + 1. Default 1 (3x3).</summary>
    public int MarkerRadius { get; init; } = 1;

    /// <summary>Dashes of a distractor: a third of a target's (Linsley et al.), at least 1.</summary>
    public int DistractorDashes => Math.Max(1, Dashes / 3);

    /// <summary>
    /// Consecutive dashes of a curve come this close (chessboard distance) at most: the gap plus
    /// one. A flood fill that jumps this far follows a curve across its gaps.
    /// </summary>
    public int Reach => GapLength + 1;

    /// <summary>
    /// Smallest chessboard distance between pixels of two different curves (markers included):
    /// one more than <see cref="Reach"/>, so the gap-bridging flood fill never jumps from one
    /// curve to another and "connected" is decided by the image alone.
    /// </summary>
    public int Separation => Reach + 1;

    /// <summary>Smallest chessboard distance between the two ends of a target curve, so that its two markers never touch.</summary>
    public int MinEndDistance => 2 * MarkerRadius + 2;

    /// <summary>Distance from the first to the last sample of a straight target curve.</summary>
    public int Span => (Dashes - 1) * (DashLength + GapLength) + DashLength - 1;

    /// <summary>Throws <see cref="ArgumentException"/> for settings the generator cannot draw.</summary>
    public void Check()
    {
        if (Size < 8) throw new ArgumentException($"image size {Size} is below 8");
        if (Distractors < 0) throw new ArgumentException($"distractors {Distractors} is negative");
        if (DashLength < 1) throw new ArgumentException($"dash length {DashLength} is below 1");
        if (GapLength < 0) throw new ArgumentException($"gap length {GapLength} is negative");
        if (Dashes < 2) throw new ArgumentException($"a target curve needs at least 2 dashes, not {Dashes}");
        if (MaxTurn < 0 || MaxTurn > Math.PI) throw new ArgumentException($"max turn {MaxTurn} is outside 0..π");
        if (MarkerRadius < 0) throw new ArgumentException($"marker radius {MarkerRadius} is negative");
        if (Span < MinEndDistance + 1) throw new ArgumentException($"target curves of {Dashes} dashes span {Span} pixels, too short to keep their two markers {MinEndDistance} apart");
        if (CurveLevel == 0 || MarkerLevel <= CurveLevel) throw new ArgumentException($"levels must satisfy 0 < curve ({CurveLevel}) < marker ({MarkerLevel})");
    }
}
