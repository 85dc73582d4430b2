using System.CommandLine;
using Nsm.Core;

namespace Nsm.Cli;

/// <summary>
/// Turns System.CommandLine's parse errors into the one line the tool prints after <c>error: </c>:
/// the first problem only, with the nearest command or option for a typo and the valid ones.
/// </summary>
public static class ParseErrors
{
    public static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var path = CommandPath(command);
        var where = command is RootCommand ? "" : $" for '{path}'";
        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            if (token.StartsWith('-'))
            {
                // "--chekpoint=x" arrives whole when the name is unknown.
                var name = token.Split('=', 2)[0];
                var options = VisibleOptions(command).ToList();
                return $"unknown option '{name}'{where}{Spelling.DidYouMean(name, options)}valid: {string.Join(", ", options)}";
            }
            var commands = VisibleSubcommands(command).ToList();
            if (commands.Count > 0)
                return $"unknown command '{token}'{where}{Spelling.DidYouMean(token, commands)}commands: {string.Join(", ", commands)}";
            return $"unexpected argument '{token}' for '{path}' (it takes options only; see {path} --help)";
        }
        if (command.Action is null && command.Subcommands.Count > 0)
            return $"'{path}' needs a command: {string.Join(", ", VisibleSubcommands(command))} (see {path} --help)";
        var message = parse.Errors[0].Message.TrimEnd('.');
        return message.Length > 0 && char.IsUpper(message[0]) && !(message.Length > 1 && char.IsUpper(message[1]))
            ? char.ToLowerInvariant(message[0]) + message[1..]
            : message;
    }

    /// <summary>"nsm config show" for the show command.</summary>
    public static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Add(c is RootCommand ? "nsm" : c.Name);
        names.Reverse();
        return string.Join(" ", names);
    }

    private static IEnumerable<string> VisibleSubcommands(Command command) =>
        command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);

    private static IEnumerable<string> VisibleOptions(Command command)
    {
        // The command's own options, then the recursive ones of its parents (--help).
        var options = command.Options.AsEnumerable();
        foreach (var parent in Ancestors(command)) options = options.Concat(parent.Options.Where(o => o.Recursive));
        return options.Where(o => !o.Hidden).Select(o => o.Name).Distinct();
    }

    private static IEnumerable<Command> Ancestors(Command command)
    {
        for (var c = command.Parents.OfType<Command>().FirstOrDefault(); c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            yield return c;
    }
}
