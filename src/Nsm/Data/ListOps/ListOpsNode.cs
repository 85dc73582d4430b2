

namespace Nsm.Data.ListOps;

/// <summary>The four LRA ListOps operators.</summary>
public enum ListOpsOperator
{
    Min,
    Max,
    /// <summary>Integer median: the mean of the two middle values for an even count, truncated (LRA: int(np.median)).</summary>
    Med,
    /// <summary>Sum modulo 10.</summary>
    SumMod,
}

/// <summary>A ListOps expression tree.</summary>
public abstract record ListOpsNode
{
    /// <summary>The value 0-9 of the expression.</summary>
    public abstract int Evaluate();

    /// <summary>Tokens without parentheses (LRA format): values 0-9, <c>[MIN</c>, <c>[MAX</c>, <c>[MED</c>, <c>[SM</c>, <c>]</c>.</summary>
    public abstract void AppendTokens(List<string> tokens);

    public IReadOnlyList<string> Tokens()
    {
        var tokens = new List<string>();
        AppendTokens(tokens);
        return tokens;
    }

    public sealed record Value(int Digit) : ListOpsNode
    {
        public override int Evaluate() => Digit;

        public override void AppendTokens(List<string> tokens) => tokens.Add(Digit.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public sealed record Apply(ListOpsOperator Operator, IReadOnlyList<ListOpsNode> Arguments) : ListOpsNode
    {
        public override int Evaluate()
        {
            var values = Arguments.Select(a => a.Evaluate()).ToArray();
            switch (Operator)
            {
                case ListOpsOperator.Min: return values.Min();
                case ListOpsOperator.Max: return values.Max();
                case ListOpsOperator.SumMod: return values.Sum() % 10;
                default:
                    Array.Sort(values);
                    var mid = values.Length / 2;
                    return values.Length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
            }
        }

        public override void AppendTokens(List<string> tokens)
        {
            tokens.Add(ListOpsVocabulary.OperatorToken(Operator));
            foreach (var a in Arguments) a.AppendTokens(tokens);
            tokens.Add(ListOpsVocabulary.Close);
        }
    }
}
