// TEMPORARY: stands in for the critic helper's SelfRefinementFormat until it lands on main. Delete before the final commit.
namespace Srt;

/// <summary>Temporary stand-in.</summary>
public sealed record SelfRefinementOutput(string Response, Feedback Feedback, string Refinement, int? RefinementScore);

/// <summary>Temporary stand-in.</summary>
public static class SelfRefinementFormat
{
    /// <summary>Temporary stand-in.</summary>
    /// <param name="response">r</param><param name="feedback">f</param><param name="refinement">x</param><param name="refinementScore">s</param><param name="includeFeedback">i</param>
    /// <returns>segments</returns>
    public static IReadOnlyList<SequenceSegment> BuildCompletion(string response, Feedback feedback, string refinement, int? refinementScore, bool includeFeedback = true)
    {
        var segments = new List<SequenceSegment> { new(response, true, SegmentKind.Response) };
        if (includeFeedback)
        {
            segments.Add(new("\n\n### Feedback\n", true, SegmentKind.Other));
            segments.Add(new(feedback.Text + $"\nOverall Score: [[{feedback.Score}]]", true, SegmentKind.Feedback));
        }

        segments.Add(new("\n\n### Improved Response\n", true, SegmentKind.Other));
        segments.Add(new(refinement, true, SegmentKind.Refinement));
        if (includeFeedback && refinementScore is not null)
        {
            segments.Add(new($"\n\n### Refinement Score\nOverall Score: [[{refinementScore}]]", true, SegmentKind.Other));
        }

        return segments;
    }

    /// <summary>Temporary stand-in.</summary>
    /// <param name="text">t</param><param name="output">o</param><returns>ok</returns>
    public static bool TryParse(string text, out SelfRefinementOutput? output)
    {
        output = null;
        int f = text.IndexOf("\n\n### Feedback\n", StringComparison.Ordinal);
        int r = text.IndexOf("\n\n### Improved Response\n", StringComparison.Ordinal);
        int s = text.IndexOf("\n\n### Refinement Score\n", StringComparison.Ordinal);
        if (f < 0 || r < f || s < r)
        {
            return false;
        }

        string fb = text[(f + 15)..r];
        int? Score(string t)
        {
            int a = t.LastIndexOf("[[", StringComparison.Ordinal);
            int b = t.LastIndexOf("]]", StringComparison.Ordinal);
            return a >= 0 && b > a && int.TryParse(t[(a + 2)..b], out int v) ? v : null;
        }

        output = new SelfRefinementOutput(text[..f], new Feedback(fb, ["w"], ["s"], Score(fb)), text[(r + 24)..s], Score(text[s..]));
        return true;
    }
}
