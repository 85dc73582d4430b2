namespace Nsm.Cli;

/// <summary>Quoting for the command lines the tool prints for users to copy.</summary>
public static class Shell
{
    /// <summary>The word unchanged when a POSIX shell reads it as is, otherwise in single quotes.</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=,:+@%".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''") + "'";
}
