namespace Nsm.Data.ListOps;

/// <summary>
/// Generates ListOps expressions by the Long Range Arena rules (Tay et al. 2021, after Nangia and
/// Bowman 2018): operators MIN, MAX, MED (integer median), SM (sum mod 10) over values 0-9;
/// the root is at depth 1 and a node below <c>maxDepth</c> is an operator with probability 0.25
/// (else a value); an operator has 2..<c>maxArgs</c> arguments. Written without parentheses
/// (<c>[MAX 2 9 [MIN 4 7 ] 0 ]</c>), so its length is values + 2 tokens per operator.
/// </summary>
public sealed class ListOpsGenerator
{
    /// <summary>Probability that a node above the maximum depth is an operator (LRA: VALUE_P = 0.25).</summary>
    public const double OperatorProbability = 0.25;

    private readonly SeededRandom random;
    private readonly int maxDepth;
    private readonly int maxArgs;

    public ListOpsGenerator(SeededRandom random, int maxDepth = 10, int maxArgs = 10)
    {
        if (maxDepth < 1) throw new ArgumentOutOfRangeException(nameof(maxDepth), "max depth must be at least 1");
        if (maxArgs < 2) throw new ArgumentOutOfRangeException(nameof(maxArgs), "operators take at least 2 arguments");
        this.random = random;
        this.maxDepth = maxDepth;
        this.maxArgs = maxArgs;
    }

    /// <summary>
    /// Draws one tree, or null when it grows to <paramref name="lengthLimit"/> tokens or more
    /// (such a tree would be rejected anyway; stopping early bounds the work).
    /// </summary>
    public ListOpsNode? Next(int lengthLimit)
    {
        var length = 0;
        return Grow(1, ref length, lengthLimit);
    }

    private ListOpsNode? Grow(int depth, ref int length, int limit)
    {
        var r = depth < maxDepth ? random.NextDouble() : 1.0;
        // LRA: `if r > VALUE_P: value`, so an operator exactly when r <= 0.25.
        if (r > OperatorProbability)
        {
            length++;
            return length >= limit ? null : new ListOpsNode.Value(random.Next(10));
        }
        length += 2;
        if (length >= limit) return null;
        var count = random.Next(2, maxArgs + 1);
        var args = new ListOpsNode[count];
        for (var i = 0; i < count; i++)
        {
            var child = Grow(depth + 1, ref length, limit);
            if (child is null) return null;
            args[i] = child;
        }
        var op = (ListOpsOperator)random.Next(4);
        return new ListOpsNode.Apply(op, args);
    }
}
