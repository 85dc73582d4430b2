namespace Nsm.Data.Pathfinder;

/// <summary>A pixel of a Pathfinder image: row 0 is the top row, column 0 the left column.</summary>
internal readonly record struct GridPoint(int Row, int Column)
{
    /// <summary>Chebyshev (chessboard) distance: the larger of the row and column differences.</summary>
    public int ChessDistance(GridPoint other) => Math.Max(Math.Abs(Row - other.Row), Math.Abs(Column - other.Column));
}
