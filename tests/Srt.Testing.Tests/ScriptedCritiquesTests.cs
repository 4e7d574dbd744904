namespace Srt.Testing.Tests;

public sealed class ScriptedCritiquesTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(10)]
    public void Complete_RawText_ParsesBackToTheSameParts(int score)
    {
        Critique critique = ScriptedCritiques.Complete(score, "A better answer.\n\nWith a second paragraph.");

        Critique parsed = CritiqueParser.Parse(critique.RawText);

        Assert.Equal([ScriptedCritiques.DefaultWeakness], parsed.Feedback.Weaknesses);
        Assert.Equal([ScriptedCritiques.DefaultSuggestion], parsed.Feedback.Suggestions);
        Assert.Equal(score, parsed.Feedback.Score);
        Assert.True(parsed.Feedback.IsComplete);
        Assert.Equal("A better answer.\n\nWith a second paragraph.", parsed.ImprovedResponse);
        Assert.Equal(critique.Feedback.Text, parsed.Feedback.Text);
        Assert.Equal(critique.Feedback.Weaknesses, parsed.Feedback.Weaknesses);
    }

    [Fact]
    public void Feedback_SeveralEntries_TextParsesToTheSameListsAndScore()
    {
        Feedback feedback = ScriptedCritiques.Feedback(3, ["Misses the second question.", "  States a wrong date.  "], ["Answer both questions.", "Give 1969.", "Cite a source."]);

        Feedback parsed = CritiqueParser.ParseFeedback(feedback.Text);

        Assert.Equal(["Misses the second question.", "States a wrong date."], feedback.Weaknesses);
        Assert.Equal(feedback.Weaknesses, parsed.Weaknesses);
        Assert.Equal(feedback.Suggestions, parsed.Suggestions);
        Assert.Equal(3, parsed.Score);
        Assert.Equal(feedback.Text, parsed.Text);
    }

    [Fact]
    public void Feedback_NoSuggestionsAndNoScore_IncompleteBothWrittenAndParsed()
    {
        Feedback feedback = ScriptedCritiques.Feedback(null, suggestions: []);

        Feedback parsed = CritiqueParser.ParseFeedback(feedback.Text);

        Assert.False(feedback.IsComplete);
        Assert.Equal("Weaknesses:\n- The response is too short.", feedback.Text);
        Assert.Equal((feedback.Weaknesses.Count, 0, (int?)null), (parsed.Weaknesses.Count, parsed.Suggestions.Count, parsed.Score));
    }

    [Fact]
    public void ScoreOnly_NoImprovedResponse_RawTextHasNoImprovedSectionAndParsesToTheScore()
    {
        Critique critique = ScriptedCritiques.ScoreOnly(7);

        Critique parsed = CritiqueParser.Parse(critique.RawText);

        Assert.Null(critique.ImprovedResponse);
        Assert.Null(parsed.ImprovedResponse);
        Assert.DoesNotContain("### Improved Response", critique.RawText, StringComparison.Ordinal);
        Assert.Equal(7, parsed.Feedback.Score);
    }

    [Fact]
    public void Complete_TokenCounts_ReportedAsUsage()
    {
        Critique critique = ScriptedCritiques.Complete(5, "r", inputTokens: 100, outputTokens: 40);

        Assert.Equal((100L, 40L, 140L), (critique.Usage!.InputTokenCount, critique.Usage.OutputTokenCount, critique.Usage.TotalTokenCount));
        Assert.Null(ScriptedCritiques.Complete(5, "r").Usage);
    }

    [Fact]
    public void Feedback_InSelfRefinementFormat_ParsedBackWithBothScores()
    {
        string text = SelfRefinementFormat.Default.Format("First answer.", ScriptedCritiques.Feedback(4), "Better answer.", 8);

        Assert.True(SelfRefinementFormat.Default.TryParse(text, out var output));
        Assert.Equal(("First answer.", 4, "Better answer.", (int?)8), (output.Response, output.Feedback.Score, output.Refinement, output.RefinementScore));
        Assert.Equal([ScriptedCritiques.DefaultWeakness], output.Feedback.Weaknesses);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public void Feedback_ScoreOutOfRange_Throws(int score) =>
        Assert.Throws<ArgumentOutOfRangeException>(nameof(score), () => ScriptedCritiques.Feedback(score));

    [Theory]
    [InlineData("two\nlines")]
    [InlineData(" ")]
    public void Feedback_EntryNotOneLine_ThrowsNamingTheList(string entry)
    {
        var error = Assert.Throws<ArgumentException>("suggestions", () => ScriptedCritiques.Feedback(5, suggestions: [entry]));
        Assert.Contains("one non-blank line", error.Message, StringComparison.Ordinal);
    }
}
