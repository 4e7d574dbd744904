namespace Srt;

/// <summary>Reads a critic's answer into feedback, score and improved response.</summary>
/// <remarks>
/// <para>The improved response starts at the first label line <c>### Improved Response</c> (any heading level,
/// <c>**Improved Response:**</c> or <c>Improved Response:</c>) and runs to the end; text on the label line itself
/// counts. It is trimmed and kept verbatim, except that a section that is entirely one fenced code block is
/// unwrapped. Everything before it is the feedback; a leading <c>### Feedback</c> heading is dropped.</para>
/// <para>Weaknesses and suggestions are read from the sections under <c>Weaknesses</c> and <c>Suggestions</c>
/// labels (headings, bold or plain <c>Label:</c> lines); a section ends at the next heading or known label.
/// See <see cref="CritiqueListReader"/> for the list rules and <see cref="CritiqueScoreReader"/> for the score
/// rules (the last score wins; out of range gives none). The score is read from the feedback only.</para>
/// </remarks>
public static class CritiqueParser
{
    /// <summary>Parses a critic's whole answer.</summary>
    /// <param name="text">The critic's answer.</param>
    /// <returns>The critique; <see cref="Feedback.IsComplete"/> tells whether every feedback part was found.</returns>
    public static Critique Parse(string text) => Parse(text, unwrapCodeFence: true);

    /// <summary>Parses feedback text that holds no improved response.</summary>
    /// <param name="feedbackText">The feedback text.</param>
    /// <returns>The feedback with its weaknesses, suggestions and score.</returns>
    public static Feedback ParseFeedback(string feedbackText)
    {
        ArgumentNullException.ThrowIfNull(feedbackText);
        return ReadFeedback(SplitLines(feedbackText), 0, int.MaxValue);
    }

    /// <summary>Reads the overall score from text, following the parser's score rules.</summary>
    /// <param name="text">The text holding the score.</param>
    /// <returns>The score from 1 to 10, or <see langword="null"/> when none could be read.</returns>
    public static int? ParseScore(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return CritiqueScoreReader.Read(text.ReplaceLineEndings("\n"));
    }

    internal static Critique Parse(string text, bool unwrapCodeFence)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = SplitLines(text);
        int improvedAt = -1;
        string improvedFirstLine = string.Empty;
        for (int i = 0; i < lines.Length; i++)
        {
            if (CritiqueLabelLine.Match(lines[i], out var rest) == CritiqueLabel.ImprovedResponse)
            {
                improvedAt = i;
                improvedFirstLine = rest;
                break;
            }
        }

        string? improved = null;
        if (improvedAt >= 0)
        {
            var body = lines.Skip(improvedAt + 1).Prepend(improvedFirstLine);
            improved = string.Join('\n', body).Trim();
            if (unwrapCodeFence)
            {
                improved = UnwrapCodeFence(improved);
            }

            improved = improved.Length == 0 ? null : improved;
        }

        var feedback = ReadFeedback(lines, 0, improvedAt >= 0 ? improvedAt : lines.Length);
        return new Critique(feedback, improved, text);
    }

    private static Feedback ReadFeedback(string[] lines, int start, int end)
    {
        end = Math.Min(end, lines.Length);

        // Drop a leading "### Feedback" heading the critic may repeat from the prompt.
        while (start < end && string.IsNullOrWhiteSpace(lines[start]))
        {
            start++;
        }

        if (start < end && CritiqueLabelLine.Match(lines[start], out var rest) == CritiqueLabel.Feedback && rest.Length == 0)
        {
            start++;
        }

        var feedbackLines = lines[start..end];
        string text = string.Join('\n', feedbackLines).Trim();
        var weaknesses = new List<string>();
        var suggestions = new List<string>();
        List<string>? collecting = null;
        var section = new List<string>();
        foreach (var line in feedbackLines)
        {
            var label = CritiqueLabelLine.Match(line, out var inline);
            if (label == CritiqueLabel.None)
            {
                section.Add(line);
                continue;
            }

            Flush(collecting, section);
            collecting = label switch
            {
                CritiqueLabel.Weaknesses => weaknesses,
                CritiqueLabel.Suggestions => suggestions,
                _ => null,
            };
            if (inline.Length > 0)
            {
                section.Add(inline);
            }
        }

        Flush(collecting, section);
        return new Feedback(text, weaknesses, suggestions, CritiqueScoreReader.Read(text));
    }

    private static void Flush(List<string>? collecting, List<string> section)
    {
        collecting?.AddRange(CritiqueListReader.Read(section));
        section.Clear();
    }

    private static string UnwrapCodeFence(string section)
    {
        if (!section.StartsWith("```", StringComparison.Ordinal) || !section.EndsWith("```", StringComparison.Ordinal))
        {
            return section;
        }

        var lines = section.Split('\n');
        int fences = lines.Count(l => l.TrimStart().StartsWith("```", StringComparison.Ordinal));
        if (lines.Length < 2 || fences != 2)
        {
            return section; // several code blocks, or prose between them: keep verbatim
        }

        return string.Join('\n', lines[1..^1]).Trim();
    }

    private static string[] SplitLines(string text) => text.ReplaceLineEndings("\n").Split('\n');
}
