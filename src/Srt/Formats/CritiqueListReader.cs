using System.Text.RegularExpressions;

namespace Srt;

/// <summary>Turns the body of a <c>Weaknesses</c> or <c>Suggestions</c> section into one entry per point.</summary>
/// <remarks>
/// Bulleted (<c>-</c>, <c>*</c>, <c>•</c>, <c>+</c>) and numbered (<c>1.</c>, <c>1)</c>) lists give one entry per
/// top-level item; deeper bullets and wrapped lines join the item before them. Text before the first bullet is an
/// introduction and is skipped; an unindented paragraph after a blank line ends the list. Without bullets, each
/// paragraph is one entry.
/// </remarks>
internal static partial class CritiqueListReader
{
    public static IReadOnlyList<string> Read(IReadOnlyList<string> lines)
    {
        bool hasBullets = false;
        foreach (var line in lines)
        {
            if (Bullet().IsMatch(line))
            {
                hasBullets = true;
                break;
            }
        }

        return hasBullets ? ReadBullets(lines) : ReadParagraphs(lines);
    }

    private static List<string> ReadBullets(IReadOnlyList<string> lines)
    {
        var items = new List<string>();
        int topIndent = -1;
        bool afterBlank = false;
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                afterBlank = true;
                continue;
            }

            int indent = line.Length - line.TrimStart().Length;
            var bullet = Bullet().Match(line);
            if (bullet.Success && (topIndent < 0 || indent <= topIndent))
            {
                topIndent = topIndent < 0 ? indent : topIndent;
                items.Add(bullet.Groups["text"].Value.Trim());
            }
            else if (items.Count == 0)
            {
                continue; // an introduction such as "The response has these problems:"
            }
            else if (afterBlank && !bullet.Success && indent <= topIndent)
            {
                break; // a closing paragraph, not part of the last item
            }
            else
            {
                // A wrapped line or a deeper bullet belongs to the item above; the bullet mark itself is dropped.
                items[^1] = items[^1] + " " + (bullet.Success ? bullet.Groups["text"].Value.Trim() : line.Trim());
            }

            afterBlank = false;
        }

        items.RemoveAll(string.IsNullOrWhiteSpace);
        return items;
    }

    private static List<string> ReadParagraphs(IReadOnlyList<string> lines)
    {
        var items = new List<string>();
        string? current = null;
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                if (current is not null)
                {
                    items.Add(current);
                    current = null;
                }

                continue;
            }

            current = current is null ? line.Trim() : current + " " + line.Trim();
        }

        if (current is not null)
        {
            items.Add(current);
        }

        return items;
    }

    [GeneratedRegex(@"^[ \t]*(?:[-*•+]|[0-9]{1,3}[.)])[ \t]+(?<text>\S.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex Bullet();
}
