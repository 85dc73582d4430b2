namespace Nsm.Tests.Data;

/// <summary>
/// Reads a Pathfinder image the way a person would, sharing nothing with the generator: find
/// the two brightest blobs (the markers), then flood-fill from one of them over inked pixels,
/// jumping at most <c>reach</c> pixels (chessboard distance) at a time so the fill crosses the
/// gaps between dashes, and report whether it reaches the other marker.
/// </summary>
static class PathfinderChecker
{
    /// <summary>Pixels at or above this are ink (curves and markers); the background is darker.</summary>
    public const int InkThreshold = 64;

    /// <summary>Pixels at or above this are marker pixels, brighter than any curve.</summary>
    public const int MarkerThreshold = 224;

    /// <summary>The 8-connected blobs of marker pixels, each a list of (row, column).</summary>
    public static List<List<(int Row, int Column)>> MarkerBlobs(IReadOnlyList<int> pixels)
    {
        var size = Side(pixels);
        var seen = new bool[pixels.Count];
        var blobs = new List<List<(int, int)>>();
        for (var i = 0; i < pixels.Count; i++)
        {
            if (seen[i] || pixels[i] < MarkerThreshold) continue;
            blobs.Add(Fill(pixels, size, [i], reach: 1, MarkerThreshold, seen).Select(j => (j / size, j % size)).ToList());
        }
        return blobs;
    }

    /// <summary>Whether ink joins the two markers with no jump longer than <paramref name="reach"/>.</summary>
    public static bool Connected(IReadOnlyList<int> pixels, int reach)
    {
        var size = Side(pixels);
        var blobs = MarkerBlobs(pixels);
        Assert.Equal(2, blobs.Count);
        var reached = Fill(pixels, size, blobs[0].Select(p => p.Row * size + p.Column), reach, InkThreshold, new bool[pixels.Count]);
        return blobs[1].Any(p => reached.Contains(p.Row * size + p.Column));
    }

    /// <summary>Breadth-first fill from <paramref name="starts"/> over pixels at or above <paramref name="threshold"/>.</summary>
    static HashSet<int> Fill(IReadOnlyList<int> pixels, int size, IEnumerable<int> starts, int reach, int threshold, bool[] seen)
    {
        var reached = new HashSet<int>();
        var queue = new Queue<int>();
        foreach (var s in starts)
        {
            seen[s] = true;
            reached.Add(s);
            queue.Enqueue(s);
        }
        while (queue.Count > 0)
        {
            var here = queue.Dequeue();
            int row = here / size, column = here % size;
            for (var r = Math.Max(0, row - reach); r <= Math.Min(size - 1, row + reach); r++)
                for (var c = Math.Max(0, column - reach); c <= Math.Min(size - 1, column + reach); c++)
                {
                    var j = r * size + c;
                    if (seen[j] || pixels[j] < threshold) continue;
                    seen[j] = true;
                    reached.Add(j);
                    queue.Enqueue(j);
                }
        }
        return reached;
    }

    static int Side(IReadOnlyList<int> pixels)
    {
        var size = (int)Math.Round(Math.Sqrt(pixels.Count));
        Assert.Equal(pixels.Count, size * size);
        return size;
    }
}
