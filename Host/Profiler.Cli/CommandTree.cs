using System.CommandLine;

namespace Profiler.Cli;

/// <summary>
/// Builds only the branch of the command tree that a command line names: constructing every command's options (about
/// a hundred, many generic over value types that are compiled at run time) was a measurable part of a short command's
/// start-up, and a command line names one command at each level.
/// </summary>
internal static class CommandTree
{
    /// <summary>
    /// The commands to add under the command that <paramref name="path"/> names (<c>[]</c> for the root, <c>["trace"]</c>
    /// for <c>trace</c>): when <paramref name="args"/> start with <paramref name="path"/> and the next argument is one of
    /// <paramref name="names"/>, that one alone (<paramref name="create"/> of its name); otherwise every one (help, a
    /// typo, options before the command: the parser then knows every command, and help and errors list them all). A
    /// command built under a name other than the one asked (a list out of step with the code) also builds every one, so
    /// the listed names only choose, never decide. One factory for all the names, not a delegate each: making those
    /// delegates was a measurable part of the command line's set-up.
    /// </summary>
    public static List<Command> Pick(string[] args, string[] path, string[] names, Func<string, Command> create)
    {
        if (args.Length > path.Length && args.AsSpan(0, path.Length).SequenceEqual(path))
        {
            var asked = args[path.Length];
            if (Array.IndexOf(names, asked) >= 0 && create(asked) is var command && string.Equals(command.Name, asked, StringComparison.Ordinal))
                return [command];
        }
        var all = new List<Command>(names.Length);
        foreach (var name in names) all.Add(create(name));
        return all;
    }

    /// <summary>
    /// Whether <paramref name="args"/> might use what only the full root command knows: its <c>--help</c>
    /// (<c>-h</c>, <c>/h</c>, <c>-?</c>, <c>/?</c>, also bundled as in <c>-vh</c>) or <c>--version</c> options, a
    /// directive (<c>[suggest]</c>) or a response file (<c>@file</c>, whose contents are not looked at here). Errs on
    /// the side of yes: a yes only costs building the full root command.
    /// </summary>
    public static bool MayNeedRootOptions(string[] args)
    {
        foreach (var a in args)
        {
            if (a.Length == 0) continue;
            if (a[0] is '[' or '@' || a.Contains('?')) return true;
            if (a == "/h" || a.StartsWith("/h:", StringComparison.Ordinal) || a.StartsWith("/h=", StringComparison.Ordinal)) return true;
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                if (a.StartsWith("--help", StringComparison.Ordinal) || a.StartsWith("--version", StringComparison.Ordinal)) return true;
            }
            else if (a[0] == '-' && a.Contains('h')) return true;
        }
        return false;
    }
}
