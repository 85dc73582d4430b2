using Nsm.Data;
using Nsm.Data.Pathfinder;

namespace Nsm.Tests.Data;

/// <summary>
/// The Pathfinder generator against an independent reading of its images
/// (<see cref="PathfinderChecker"/>) and against the rules it claims to keep.
/// </summary>
public sealed class PathfinderTests
{
    static readonly PathfinderOptions Defaults = new();

    static IEnumerable<PathfinderImage> Images(PathfinderOptions options, int count, long seed = 11)
    {
        var generator = new PathfinderGenerator(options);
        for (var i = 0; i < count; i++) yield return PathfinderDataset.Image(generator, seed, PathfinderSplit.Train, i);
    }

    [Fact]
    public void FollowingInkAcrossGapsAgreesWithEveryLabelAndLabelsAreBalanced()
    {
        var images = Images(Defaults, 200).ToList();
        foreach (var image in images)
            Assert.Equal(image.Label == 1, PathfinderChecker.Connected(image.Tokens(), Defaults.GapLength + 1));
        var positives = images.Count(x => x.Label == 1);
        Assert.InRange(positives, 80, 120);
    }

    /// <summary>(distractors, dash length, gap length, dashes): other difficulties keep the checker exact too.</summary>
    public static TheoryData<int, int, int, int> Difficulties => new()
    {
        { 0, 1, 0, 8 },
        { 12, 2, 1, 6 },
        { 4, 3, 2, 5 },
        { 2, 2, 3, 5 },
        { 3, 1, 1, 14 },
    };

    [Theory]
    [MemberData(nameof(Difficulties))]
    public void TheCheckerAgreesAtOtherDifficulties(int distractors, int dashLength, int gapLength, int dashes)
    {
        var options = new PathfinderOptions { Distractors = distractors, DashLength = dashLength, GapLength = gapLength, Dashes = dashes };
        foreach (var image in Images(options, 60))
        {
            Assert.Equal(2 + distractors, image.Curves.Count);
            Assert.Equal(image.Label == 1, PathfinderChecker.Connected(image.Tokens(), gapLength + 1));
        }
    }

    [Fact]
    public void CurvesAreDashedAFillThatCannotJumpGapsRarelyConnectsTheMarkers()
    {
        // If the gaps were not skipped, an 8-neighbour fill would follow every positive curve end to end.
        var positives = Images(Defaults, 200).Where(x => x.Label == 1).ToList();
        var solid = positives.Count(x => PathfinderChecker.Connected(x.Tokens(), reach: 1));
        Assert.True(solid <= positives.Count / 20, $"{solid} of {positives.Count} connected curves have no gap an 8-neighbour fill cannot cross");
        // With gap 0 the curves are solid and the 8-neighbour fill is enough.
        foreach (var image in Images(Defaults with { GapLength = 0 }, 60))
            Assert.Equal(image.Label == 1, PathfinderChecker.Connected(image.Tokens(), reach: 1));
    }

    [Fact]
    public void DifferentCurvesKeepTheSeparationMarkersIncluded()
    {
        foreach (var gap in new[] { 1, 2 })
        {
            var options = Defaults with { GapLength = gap, Distractors = 8 };
            foreach (var image in Images(options, 60))
            {
                // Each curve's ink as drawn: its pixels and the marker squares on it.
                var ink = image.Curves.Select((curve, i) => curve.Dashes.SelectMany(d => d)
                    .Concat(image.Markers.Where(m => m.Curve == i).SelectMany(m => Square(m.Center, options.MarkerRadius)))
                    .ToHashSet()).ToList();
                for (var a = 0; a < ink.Count; a++)
                    for (var b = a + 1; b < ink.Count; b++)
                    {
                        var closest = ink[a].Min(p => ink[b].Min(q => Math.Max(Math.Abs(p.Row - q.Row), Math.Abs(p.Column - q.Column))));
                        Assert.True(closest >= gap + 2, $"curves {a} and {b} come {closest} pixels close with gap {gap}");
                    }
            }
        }
    }

    [Fact]
    public void MetadataDescribesTheImage()
    {
        var o = Defaults;
        foreach (var image in Images(o, 100))
        {
            Assert.Equal(1024, image.Pixels.Length);
            Assert.Equal(2 + o.Distractors, image.Curves.Count);
            for (var i = 0; i < image.Curves.Count; i++)
            {
                var curve = image.Curves[i];
                Assert.Equal(i < 2, curve.IsTarget);
                Assert.Equal(i < 2 ? o.Dashes : o.Dashes / 3, curve.Dashes.Count);
                foreach (var dash in curve.Dashes)
                {
                    Assert.Equal(o.DashLength, dash.Count);
                    for (var s = 1; s < dash.Count; s++) Assert.True(dash[s].ChessDistance(dash[s - 1]) <= 1, "a dash is not a connected stroke");
                }
                for (var d = 1; d < curve.Dashes.Count; d++)
                    Assert.InRange(curve.Dashes[d][0].ChessDistance(curve.Dashes[d - 1][^1]), 1, o.GapLength + 1);
                foreach (var p in curve.Dashes.SelectMany(x => x)) Assert.True(image[p.Row, p.Column] >= PathfinderChecker.InkThreshold);
            }
            // Markers: distinct, not touching, on curve ends; one curve's two ends iff label 1.
            var (m0, m1) = (image.Markers[0], image.Markers[1]);
            Assert.True(m0.Center.ChessDistance(m1.Center) >= 2 * o.MarkerRadius + 2, "markers touch");
            foreach (var m in image.Markers)
                Assert.True(m.Center == image.Curves[m.Curve].Start || m.Center == image.Curves[m.Curve].End, "a marker is not on a curve end");
            if (image.Label == 1) Assert.Equal((0, 0), (m0.Curve, m1.Curve));
            else Assert.Equal((0, 1), (m0.Curve, m1.Curve));
            // Every pixel is background, curve or marker, and exactly where the metadata says.
            var curvePixels = image.Curves.SelectMany(c => c.Pixels).ToHashSet();
            var markerPixels = image.Markers.SelectMany(m => Square(m.Center, o.MarkerRadius)).ToHashSet();
            for (var r = 0; r < 32; r++)
                for (var c = 0; c < 32; c++)
                {
                    var p = new GridPoint(r, c);
                    var expected = markerPixels.Contains(p) ? o.MarkerLevel : curvePixels.Contains(p) ? o.CurveLevel : (byte)0;
                    Assert.Equal(expected, image[r, c]);
                }
        }
    }

    [Fact]
    public void SetsAreSeededSequencesOf1024PixelTokens()
    {
        var a = PathfinderDataset.Generate(5, 30, 10, 10, Defaults);
        var b = PathfinderDataset.Generate(5, 60, 10, 10, Defaults);
        var c = PathfinderDataset.Generate(6, 30, 10, 10, Defaults);
        Assert.Equal(Rows(a.Train), Rows(b.Train).Take(30));
        Assert.Equal(Rows(a.Test), Rows(b.Test));                       // the test set does not depend on num_train
        Assert.Equal(Rows(a.Validation), Rows(b.Validation));
        Assert.True(Rows(a.Train).Zip(Rows(c.Train)).Count(x => x.First != x.Second) >= 29, "another data seed gives (almost) the same images");
        Assert.Empty(Rows(a.Train).Intersect(Rows(a.Test)));
        foreach (var set in new[] { a.Train, a.Validation, a.Test })
            for (var i = 0; i < set.Count; i++)
            {
                var tokens = set.Tokens(i);
                Assert.Equal(1024, tokens.Length);
                Assert.All(tokens, t => Assert.InRange(t, 0, 255));
                Assert.InRange(set.Label(i), 0, 1);
            }
        // The packed set holds exactly the images (and labels) the generator draws for each index.
        var generator = new PathfinderGenerator(Defaults);
        for (var i = 0; i < 10; i++)
        {
            var image = PathfinderDataset.Image(generator, 5, PathfinderSplit.Test, i);
            Assert.Equal(image.Tokens(), a.Test.Tokens(i));
            Assert.Equal(image.Label, a.Test.Label(i));
        }
    }

    [Fact]
    public void SettingsThatCannotFitFailQuicklyWithAMessage()
    {
        var generator = new PathfinderGenerator(Defaults with { Distractors = 64, Dashes = 32 });
        var error = Assert.Throws<InvalidOperationException>(() => generator.Generate(new SeededRandom(1)));
        Assert.Contains("fewer distractors", error.Message);
        Assert.Throws<ArgumentException>(() => new PathfinderGenerator(Defaults with { Distractors = -1 }));
        // Two dashes of one pixel without a gap span one pixel: no room for two markers.
        Assert.Contains("too short", Assert.Throws<ArgumentException>(() => new PathfinderGenerator(Defaults with { Dashes = 2, DashLength = 1, GapLength = 0 })).Message);
    }

    static List<string> Rows(PackedSequences set) =>
        Enumerable.Range(0, set.Count).Select(i => string.Join(",", set.Tokens(i)) + ":" + set.Label(i)).ToList();

    static IEnumerable<GridPoint> Square(GridPoint center, int radius)
    {
        for (var dr = -radius; dr <= radius; dr++)
            for (var dc = -radius; dc <= radius; dc++)
                yield return new GridPoint(center.Row + dr, center.Column + dc);
    }
}
