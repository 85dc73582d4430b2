namespace Nsm.Data.ListOps;

/// <summary>
/// Token ids of ListOps: 0 = padding, 1..10 = digits 0..9, 11 = <c>]</c>, 12..15 = <c>[MIN</c>,
/// <c>[MAX</c>, <c>[MED</c>, <c>[SM</c>.
/// </summary>
public static class ListOpsVocabulary
{
    public const string Close = "]";
    public const int Padding = 0;
    public const int CloseId = 11;
    public const int Size = 16;

    private static readonly string[] Names = ["<pad>", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", Close, "[MIN", "[MAX", "[MED", "[SM"];

    public static string OperatorToken(ListOpsOperator op) => Names[12 + (int)op];

    public static int Id(string token)
    {
        var id = Array.IndexOf(Names, token);
        if (id <= 0) throw new ArgumentException($"'{token}' is not a ListOps token");
        return id;
    }

    public static string Token(int id) => Names[id];
}
