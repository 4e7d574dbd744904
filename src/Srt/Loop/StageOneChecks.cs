namespace Srt;

/// <summary>The content checks of stage 1: which parts a critique lacks, and whether a response fits the training format.</summary>
internal static class StageOneChecks
{
    private static readonly Feedback NoFeedback = new(string.Empty, [], [], null);

    public static string? NonBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    /// <summary>Returns why the response cannot be written into a training sequence, or <see langword="null"/> when it can.</summary>
    public static string? FormatProblem(SelfRefinementFormat format, string response)
    {
        if (string.IsNullOrWhiteSpace(response))
        {
            return "the response is empty";
        }

        try
        {
            // Only the response is checked here; feedback and refinement come later.
            format.BuildCompletion(response, NoFeedback, "placeholder", null, includeFeedback: false);
            return null;
        }
        catch (ArgumentException exception)
        {
            return exception.Message;
        }
    }

    public static string MissingParts(Feedback feedback, string? refinement)
    {
        var missing = new List<string>(4);
        if (feedback.Weaknesses.Count == 0)
        {
            missing.Add("weaknesses");
        }

        if (feedback.Suggestions.Count == 0)
        {
            missing.Add("suggestions");
        }

        if (feedback.Score is null)
        {
            missing.Add("score");
        }

        if (refinement is null)
        {
            missing.Add("improved response");
        }

        return "missing " + string.Join(", ", missing);
    }
}
