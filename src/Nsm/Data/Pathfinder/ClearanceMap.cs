namespace Nsm.Data.Pathfinder;

/// <summary>
/// The pixels a new curve may not use: every pixel within chessboard distance <c>reach</c> of a
/// curve already placed. A curve drawn only on free pixels keeps a distance of at least
/// reach + 1 from every earlier one.
/// </summary>
internal sealed class ClearanceMap
{
    private readonly int size;
    private readonly int reach;
    private readonly bool[] blocked;

    public ClearanceMap(int size, int reach)
    {
        this.size = size;
        this.reach = reach;
        blocked = new bool[size * size];
    }

    /// <summary>Whether <paramref name="p"/> lies inside the image and outside every reserved zone.</summary>
    public bool IsFree(GridPoint p) =>
        p.Row >= 0 && p.Row < size && p.Column >= 0 && p.Column < size && !blocked[p.Row * size + p.Column];

    /// <summary>Blocks every pixel within chessboard distance reach of the given pixels.</summary>
    public void Reserve(IEnumerable<GridPoint> pixels)
    {
        foreach (var p in pixels)
        {
            for (var r = Math.Max(0, p.Row - reach); r <= Math.Min(size - 1, p.Row + reach); r++)
                for (var c = Math.Max(0, p.Column - reach); c <= Math.Min(size - 1, p.Column + reach); c++)
                    blocked[r * size + c] = true;
        }
    }
}
