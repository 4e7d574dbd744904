using Srt.Testing;

namespace Srt.Tests.TestDoubles;

/// <summary>Writes what a stage-1-trained policy writes in stage 2: the training completion format as one text.</summary>
internal static class SelfRefinementText
{
    public static string Of(string response, int? responseScore, string refinement, int? refinementScore) =>
        SelfRefinementFormat.Default.Format(response, ScriptedCritiques.Feedback(responseScore), refinement, refinementScore);
}
