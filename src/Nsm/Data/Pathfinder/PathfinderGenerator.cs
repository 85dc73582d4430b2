namespace Nsm.Data.Pathfinder;

/// <summary>
/// Draws Pathfinder images (Linsley et al. 2018, as used by the Long Range Arena): on a dark
/// square grid, two long dashed curves (the targets) and shorter dashed distractors, and two
/// bright square markers. Label 1: the markers sit on the two ends of the first target curve;
/// label 0: one marker on an end of each target curve. Both targets have the same length in
/// either case, so the amount of ink tells nothing; only following a curve from one marker
/// across its gaps shows whether it reaches the other. Labels are drawn by a fair coin.
/// </summary>
/// <remarks>
/// A curve is a polyline sampled one pixel apart: a dash is <see cref="PathfinderOptions.DashLength"/>
/// samples drawn in one direction, then <see cref="PathfinderOptions.GapLength"/> samples are
/// skipped and the direction turns by a uniform angle of at most <see cref="PathfinderOptions.MaxTurn"/>.
/// Samples are rounded to pixels, so consecutive dashes come within chessboard distance gap + 1
/// (<see cref="PathfinderOptions.Reach"/>). Every pixel of a new curve (and the marker squares of
/// a target's ends) keeps at least <see cref="PathfinderOptions.Separation"/> from every earlier
/// curve; a placement that fails is retried, then the curve, then the whole image.
/// </remarks>
internal sealed class PathfinderGenerator
{
    // Retry budgets: generous for the defaults (an image rarely needs a second try), and small
    // enough that hopeless settings fail within milliseconds rather than hang.
    private const int TurnAttempts = 8;
    private const int CurveAttempts = 40;
    private const int ImageAttempts = 200;

    private readonly PathfinderOptions options;

    public PathfinderGenerator(PathfinderOptions options)
    {
        options.Check();
        this.options = options;
    }

    /// <summary>Draws one image; throws <see cref="InvalidOperationException"/> when the curves do not fit on the grid.</summary>
    public PathfinderImage Generate(SeededRandom random)
    {
        var label = random.Next(2);
        for (var attempt = 0; attempt < ImageAttempts; attempt++)
        {
            if (TryCurves(random) is { } curves) return Render(random, label, curves);
        }
        throw new InvalidOperationException(
            $"Pathfinder: {2 + options.Distractors} curves of {options.Dashes} and {options.DistractorDashes} dashes do not fit apart on a {options.Size}x{options.Size} grid in {ImageAttempts} attempts; use fewer distractors, shorter curves or smaller gaps");
    }

    private List<PathfinderCurve>? TryCurves(SeededRandom random)
    {
        var clearance = new ClearanceMap(options.Size, options.Reach);
        var curves = new List<PathfinderCurve>();
        for (var i = 0; i < 2 + options.Distractors; i++)
        {
            var target = i < 2;
            var curve = TryCurve(random, clearance, target);
            if (curve is null) return null;
            clearance.Reserve(Footprint(curve));
            curves.Add(curve);
        }
        return curves;
    }

    private PathfinderCurve? TryCurve(SeededRandom random, ClearanceMap clearance, bool target)
    {
        var dashes = target ? options.Dashes : options.DistractorDashes;
        // Keep every sample MarkerRadius pixels inside the border, so a marker square on any end fits.
        var margin = options.MarkerRadius;
        for (var attempt = 0; attempt < CurveAttempts; attempt++)
        {
            var start = new GridPoint(random.Next(margin, options.Size - margin), random.Next(margin, options.Size - margin));
            if (target && !SquareFree(clearance, start)) continue;
            var curve = TryGrow(random, clearance, start, random.NextDouble() * 2 * Math.PI, dashes, target);
            if (curve is not null && (!target || curve.Start.ChessDistance(curve.End) >= options.MinEndDistance)) return curve;
        }
        return null;
    }

    private PathfinderCurve? TryGrow(SeededRandom random, ClearanceMap clearance, GridPoint start, double direction, int dashes, bool target)
    {
        var result = new List<IReadOnlyList<GridPoint>>(dashes);
        double row = start.Row, column = start.Column;
        for (var d = 0; d < dashes; d++)
        {
            List<GridPoint>? dash = null;
            var turned = direction;
            for (var t = 0; t < (d == 0 ? 1 : TurnAttempts) && dash is null; t++)
            {
                turned = d == 0 ? direction : direction + (2 * random.NextDouble() - 1) * options.MaxTurn;
                dash = TryDash(clearance, row, column, turned, last: target && d == dashes - 1);
            }
            if (dash is null) return null;
            result.Add(dash);
            direction = turned;
            // The next dash starts after this dash's samples and the skipped gap samples.
            row += (options.DashLength + options.GapLength) * Math.Sin(direction);
            column += (options.DashLength + options.GapLength) * Math.Cos(direction);
        }
        return new PathfinderCurve(result, target);
    }

    /// <summary>The dash's pixels from (row, column) along direction, or null when one of them (or the end's marker square) is not free.</summary>
    private List<GridPoint>? TryDash(ClearanceMap clearance, double row, double column, double direction, bool last)
    {
        var dash = new List<GridPoint>(options.DashLength);
        var margin = options.MarkerRadius;
        for (var s = 0; s < options.DashLength; s++)
        {
            // Floor(x + 0.5) rather than Math.Round: it commutes with integer shifts, which keeps
            // rounded samples k pixels apart within chessboard distance k of each other.
            var p = new GridPoint((int)Math.Floor(row + s * Math.Sin(direction) + 0.5), (int)Math.Floor(column + s * Math.Cos(direction) + 0.5));
            if (p.Row < margin || p.Row >= options.Size - margin || p.Column < margin || p.Column >= options.Size - margin) return null;
            if (!clearance.IsFree(p)) return null;
            dash.Add(p);
        }
        return last && !SquareFree(clearance, dash[^1]) ? null : dash;
    }

    private bool SquareFree(ClearanceMap clearance, GridPoint center) => Square(center).All(clearance.IsFree);

    /// <summary>The pixels of a marker square centred on <paramref name="center"/>.</summary>
    private IEnumerable<GridPoint> Square(GridPoint center)
    {
        var r = options.MarkerRadius;
        for (var dr = -r; dr <= r; dr++)
            for (var dc = -r; dc <= r; dc++)
                yield return new GridPoint(center.Row + dr, center.Column + dc);
    }

    /// <summary>What later curves must keep away from: the curve's pixels and, for a target, the marker squares its ends may get.</summary>
    private IEnumerable<GridPoint> Footprint(PathfinderCurve curve) =>
        curve.IsTarget ? curve.Pixels.Concat(Square(curve.Start)).Concat(Square(curve.End)) : curve.Pixels;

    private PathfinderImage Render(SeededRandom random, int label, List<PathfinderCurve> curves)
    {
        var size = options.Size;
        var pixels = new byte[size * size];
        foreach (var p in curves.SelectMany(c => c.Pixels)) pixels[p.Row * size + p.Column] = options.CurveLevel;
        var first = curves[0];
        PathfinderMarker[] markers = label == 1
            ? [new(first.Start, 0), new(first.End, 0)]
            : [new(random.Next(2) == 0 ? first.Start : first.End, 0), new(random.Next(2) == 0 ? curves[1].Start : curves[1].End, 1)];
        foreach (var p in markers.SelectMany(m => Square(m.Center))) pixels[p.Row * size + p.Column] = options.MarkerLevel;
        return new PathfinderImage(size, pixels, label, curves, markers);
    }
}
