namespace Nsm.Data.Babi;

/// <summary>
/// One bAbI question with its story: the statements of the story before the question (each a
/// list of lower-case tokens), the question's tokens, the answer (one word, or a comma list as in
/// tasks 8 and 19) and the line ids of the supporting statements.
/// </summary>
public sealed record BabiExample(IReadOnlyList<string[]> Story, string[] Question, string Answer, int[] Supporting);
