using System.Text;
using System.Text.RegularExpressions;

namespace Profiler.Domain.Reports;

/// <summary>Groups database statements that differ only in their literal values (docs/analysis.md).</summary>
public static partial class SqlStatement
{
    /// <summary>
    /// The statement with its literals replaced by <c>?</c>: quoted strings (<c>'it''s'</c>, <c>N'x'</c>, <c>E'x'</c>),
    /// numbers (<c>42</c>, <c>-1.5e3</c>) and whole <c>IN (…)</c> lists of literals or parameters become <c>?</c> and
    /// <c>IN (?)</c>; runs of white space become one space and the ends are trimmed. Identifiers (<c>"t1"</c>,
    /// <c>`t1`</c>, <c>t1</c>), parameters (<c>%s</c>, <c>%(id)s</c>, <c>$1</c>, <c>@p0</c>, <c>:id</c>) and comments are kept.
    /// </summary>
    public static string Normalize(string statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var sb = new StringBuilder(statement.Length);
        var i = 0;
        while (i < statement.Length)
        {
            var c = statement[i];
            if (char.IsWhiteSpace(c))
            {
                while (i < statement.Length && char.IsWhiteSpace(statement[i])) i++;
                if (sb.Length > 0) sb.Append(' ');
                continue;
            }
            if (c == '\'')
            {
                // A prefix letter (N'…', E'…', X'…', B'…') belongs to the literal.
                if (sb.Length > 0 && "NnEeXxBb".Contains(sb[^1], StringComparison.Ordinal) && (sb.Length == 1 || !IsWordChar(sb[^2])))
                    sb.Length--;
                i = SkipQuoted(statement, i, '\'', backslashEscapes: true);
                sb.Append('?');
                continue;
            }
            if (c is '"' or '`')
            {
                var end = SkipQuoted(statement, i, c, backslashEscapes: false);
                sb.Append(statement, i, end - i);
                i = end;
                continue;
            }
            if (c == '-' && i + 1 < statement.Length && statement[i + 1] == '-')
            {
                var end = statement.IndexOf('\n', i);
                end = end < 0 ? statement.Length : end;
                sb.Append(statement, i, end - i);
                i = end;
                continue;
            }
            if (c == '/' && i + 1 < statement.Length && statement[i + 1] == '*')
            {
                var end = statement.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? statement.Length : end + 2;
                sb.Append(statement, i, end - i);
                i = end;
                continue;
            }
            var previous = LastNonSpace(sb);
            var signed = c is '-' or '+' && i + 1 < statement.Length && char.IsAsciiDigit(statement[i + 1])
                         && (previous is null || "(,=<>!".Contains(previous.Value, StringComparison.Ordinal));
            if ((char.IsAsciiDigit(c) || signed) && (sb.Length == 0 || !IsWordChar(sb[^1]) || signed))
            {
                i = SkipNumber(statement, signed ? i + 1 : i);
                sb.Append('?');
                continue;
            }
            if (IsWordChar(c))
            {
                // A whole word (identifier, keyword or parameter name), digits in it included.
                var start = i;
                while (i < statement.Length && IsWordChar(statement[i])) i++;
                sb.Append(statement, start, i - start);
                continue;
            }
            sb.Append(c);
            i++;
        }
        var text = sb.ToString().TrimEnd();
        return InList().Replace(text, m => m.Groups["in"].Value + " (?)");
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$' or '@' or ':' or '#';

    private static char? LastNonSpace(StringBuilder sb)
    {
        for (var k = sb.Length - 1; k >= 0; k--)
            if (sb[k] != ' ') return sb[k];
        return null;
    }

    private static int SkipQuoted(string s, int open, char quote, bool backslashEscapes)
    {
        var i = open + 1;
        while (i < s.Length)
        {
            if (backslashEscapes && s[i] == '\\' && i + 1 < s.Length) { i += 2; continue; }
            if (s[i] == quote)
            {
                if (i + 1 < s.Length && s[i + 1] == quote) { i += 2; continue; }
                return i + 1;
            }
            i++;
        }
        return s.Length;
    }

    private static int SkipNumber(string s, int i)
    {
        if (i + 1 < s.Length && s[i] == '0' && s[i + 1] is 'x' or 'X')
        {
            i += 2;
            while (i < s.Length && char.IsAsciiHexDigit(s[i])) i++;
            return i;
        }
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i + 1 < s.Length && s[i] == '.' && char.IsAsciiDigit(s[i + 1]))
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        }
        if (i + 1 < s.Length && s[i] is 'e' or 'E' && (char.IsAsciiDigit(s[i + 1]) || (s[i + 1] is '+' or '-' && i + 2 < s.Length && char.IsAsciiDigit(s[i + 2]))))
        {
            i += 2;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        }
        return i;
    }

    private const string Item = @"(?:\?|%s|%\(\w+\)s|\$\d+|[@:]\w+)";

    [GeneratedRegex(@"(?<in>\b(?:NOT\s+)?IN)\s*\(\s*" + Item + @"(?:\s*,\s*" + Item + @")*\s*\)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex InList();
}
