using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Srt;

/// <summary>
/// Serializes a self-refinement (response, feedback, refinement) as one assistant turn for stage-1 training, and
/// parses what a stage-1-trained policy writes in stage 2.
/// </summary>
/// <remarks>
/// <para>The default serialization, with every part trimmed:</para>
/// <code>
/// {response}
///
/// ### Feedback
/// {feedback text: weaknesses, suggestions, Overall Score: [[N]]}
///
/// ### Improved Response
/// {refinement}
///
/// ### Refinement Score
/// Overall Score: [[M]]
/// </code>
/// <para>N is the critic's score of the response and M its score of the refinement from the separate scoring call,
/// so a trained model writes both self-scores and stage 2 can keep items whose M exceeds N. The refinement score
/// section is left out when no score is given. When the feedback text holds no score matching
/// <see cref="Feedback.Score"/>, <c>Overall Score: [[N]]</c> is appended to it.</para>
/// <para>The "refinements only" ablation (<c>includeFeedback: false</c>) writes the response, then
/// <c>### Improved Response</c> and the refinement: no feedback and no scores, since scores are feedback too.
/// A model trained that way writes no self-scores, so stage 2 then needs another way to rank its pairs.</para>
/// <para>All segments carry loss: the paper masks only the instruction, which is the prompt, not the completion.</para>
/// </remarks>
public sealed class SelfRefinementFormat
{
    private readonly string _feedbackHeading;
    private readonly string _refinementHeading;
    private readonly string _refinementScoreHeading;

    /// <summary>Initializes a new instance of the <see cref="SelfRefinementFormat"/> class.</summary>
    /// <param name="options">The headings; <see langword="null"/> uses the defaults.</param>
    public SelfRefinementFormat(SelfRefinementFormatOptions? options = null)
    {
        options ??= new SelfRefinementFormatOptions();
        options.Validate();
        _feedbackHeading = options.FeedbackHeading.Trim();
        _refinementHeading = options.RefinementHeading.Trim();
        _refinementScoreHeading = options.RefinementScoreHeading.Trim();
    }

    /// <summary>Gets the format with the default headings.</summary>
    public static SelfRefinementFormat Default { get; } = new();

    /// <summary>Writes a score the way the format and the critic prompt write it: <c>Overall Score: [[N]]</c>.</summary>
    /// <param name="score">The score.</param>
    /// <returns>The score line.</returns>
    public static string FormatScore(int score) => string.Create(CultureInfo.InvariantCulture, $"Overall Score: [[{score}]]");

    /// <summary>Builds the segments of a training completion.</summary>
    /// <param name="response">The policy's initial response.</param>
    /// <param name="feedback">The critic's feedback on the response.</param>
    /// <param name="refinement">The improved response.</param>
    /// <param name="refinementScore">The refinement's score from the separate scoring call, or <see langword="null"/>.</param>
    /// <param name="includeFeedback"><see langword="false"/> for the "refinements only" ablation.</param>
    /// <returns>The segments in order; headings have <see cref="SegmentKind.Other"/>; all are trained.</returns>
    /// <exception cref="ArgumentException">A part is empty or holds a line equal to one of the headings.</exception>
    public IReadOnlyList<SequenceSegment> BuildCompletion(
        string response, Feedback feedback, string refinement, int? refinementScore = null, bool includeFeedback = true)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(feedback);
        ArgumentNullException.ThrowIfNull(refinement);
        response = response.Trim();
        refinement = refinement.Trim();
        if (response.Length == 0)
        {
            throw new ArgumentException("The response is empty.", nameof(response));
        }

        if (refinement.Length == 0)
        {
            throw new ArgumentException("The refinement is empty.", nameof(refinement));
        }

        RejectHeadings(response, nameof(response));
        var segments = new List<SequenceSegment> { new(response, true, SegmentKind.Response) };
        if (includeFeedback)
        {
            string feedbackText = FeedbackTextWithScore(feedback);
            RejectHeadings(feedbackText, nameof(feedback));
            segments.Add(new SequenceSegment($"\n\n{_feedbackHeading}\n", true, SegmentKind.Other));
            segments.Add(new SequenceSegment(feedbackText, true, SegmentKind.Feedback));
        }

        RejectHeadings(refinement, nameof(refinement));
        segments.Add(new SequenceSegment($"\n\n{_refinementHeading}\n", true, SegmentKind.Other));
        segments.Add(new SequenceSegment(refinement, true, SegmentKind.Refinement));
        if (includeFeedback && refinementScore is int score)
        {
            segments.Add(new SequenceSegment($"\n\n{_refinementScoreHeading}\n", true, SegmentKind.Other));
            segments.Add(new SequenceSegment(FormatScore(score), true, SegmentKind.Feedback));
        }

        return segments;
    }

    /// <summary>Writes a self-refinement as text: the concatenation of <see cref="BuildCompletion"/>'s segments.</summary>
    /// <param name="response">The initial response.</param>
    /// <param name="feedback">The feedback on the response.</param>
    /// <param name="refinement">The improved response.</param>
    /// <param name="refinementScore">The refinement's score, or <see langword="null"/>.</param>
    /// <param name="includeFeedback"><see langword="false"/> for the "refinements only" ablation.</param>
    /// <returns>The text.</returns>
    public string Format(
        string response, Feedback feedback, string refinement, int? refinementScore = null, bool includeFeedback = true)
    {
        var text = new StringBuilder();
        foreach (var segment in BuildCompletion(response, feedback, refinement, refinementScore, includeFeedback))
        {
            text.Append(segment.Text);
        }

        return text.ToString();
    }

    /// <summary>Splits a policy's one-pass output into response, feedback and refinement.</summary>
    /// <param name="text">The generated text.</param>
    /// <param name="output">The parts, when found.</param>
    /// <returns>
    /// <see langword="true"/> when a non-empty response and refinement were found around the refinement heading.
    /// Missing feedback gives empty feedback; check <see cref="Feedback.IsComplete"/> and the scores.
    /// </returns>
    public bool TryParse(string text, [NotNullWhen(true)] out SelfRefinementOutput? output)
    {
        output = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var lines = text.ReplaceLineEndings("\n").Split('\n');
        int feedbackAt = IndexOfHeading(lines, _feedbackHeading, 0);
        int refinementAt = IndexOfHeading(lines, _refinementHeading, feedbackAt + 1);
        if (refinementAt < 0)
        {
            return false;
        }

        int scoreAt = LastIndexOfHeading(lines, _refinementScoreHeading, refinementAt + 1);
        string response = Join(lines, 0, feedbackAt >= 0 ? feedbackAt : refinementAt);
        string feedbackText = feedbackAt >= 0 ? Join(lines, feedbackAt + 1, refinementAt) : string.Empty;
        string refinement = Join(lines, refinementAt + 1, scoreAt >= 0 ? scoreAt : lines.Length);
        if (response.Length == 0 || refinement.Length == 0)
        {
            return false;
        }

        int? refinementScore = scoreAt >= 0 ? CritiqueParser.ParseScore(Join(lines, scoreAt + 1, lines.Length)) : null;
        output = new SelfRefinementOutput(response, CritiqueParser.ParseFeedback(feedbackText), refinement, refinementScore);
        return true;
    }

    private static string FeedbackTextWithScore(Feedback feedback)
    {
        string text = feedback.Text.Trim();
        if (feedback.Score is int score && CritiqueParser.ParseScore(text) != score)
        {
            text = text.Length == 0 ? FormatScore(score) : $"{text}\n\n{FormatScore(score)}";
        }

        return text;
    }

    private void RejectHeadings(string part, string parameterName)
    {
        foreach (var line in part.ReplaceLineEndings("\n").Split('\n'))
        {
            string trimmed = line.Trim();
            if (IsHeading(trimmed, _feedbackHeading) || IsHeading(trimmed, _refinementHeading) || IsHeading(trimmed, _refinementScoreHeading))
            {
                throw new ArgumentException(
                    $"The {parameterName} holds the line '{trimmed}', which the format uses as a heading; it could not be parsed back.",
                    parameterName);
            }
        }
    }

    private static bool IsHeading(string line, string heading) =>
        string.Equals(line.Trim(), heading, StringComparison.OrdinalIgnoreCase);

    private static int IndexOfHeading(string[] lines, string heading, int start)
    {
        for (int i = Math.Max(start, 0); i < lines.Length; i++)
        {
            if (IsHeading(lines[i], heading))
            {
                return i;
            }
        }

        return -1;
    }

    private static int LastIndexOfHeading(string[] lines, string heading, int start)
    {
        for (int i = lines.Length - 1; i >= start; i--)
        {
            if (IsHeading(lines[i], heading))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Join(string[] lines, int start, int end) => string.Join('\n', lines[start..end]).Trim();
}
