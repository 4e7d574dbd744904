namespace Srt.Tests.Formats;

public class SelfRefinementFormatTests
{
    private static readonly Feedback SampleFeedback = CritiqueParser.ParseFeedback(
        "Weaknesses:\n- Misses the second question.\n- No example.\n\nSuggestions:\n- Answer both questions.\n\nOverall Score: [[4]]");

    [Fact]
    public void Format_Default_WritesDocumentedLayout()
    {
        var text = SelfRefinementFormat.Default.Format("Paris.", SampleFeedback, "Paris is the capital of France.", 8);

        Assert.Equal(
            "Paris.\n\n### Feedback\n" + SampleFeedback.Text
            + "\n\n### Improved Response\nParis is the capital of France.\n\n### Refinement Score\nOverall Score: [[8]]",
            text);
    }

    [Fact]
    public void BuildCompletion_Default_SegmentsInOrderAllTrained()
    {
        var segments = SelfRefinementFormat.Default.BuildCompletion("Paris.", SampleFeedback, "Better.", 8);

        Assert.Equal(
            [SegmentKind.Response, SegmentKind.Other, SegmentKind.Feedback, SegmentKind.Other, SegmentKind.Refinement, SegmentKind.Other, SegmentKind.Feedback],
            segments.Select(s => s.Kind));
        Assert.All(segments, s => Assert.True(s.IsTrained));
        Assert.Equal("\n\n### Improved Response\n", segments[3].Text);
    }

    [Fact]
    public void TryParse_FormattedText_RoundTripsEveryPart()
    {
        var format = SelfRefinementFormat.Default;
        var text = format.Format("  Paris.\n", SampleFeedback, "Paris is the capital.\n\n- It is on the Seine.", 9);

        Assert.True(format.TryParse(text, out var output));
        Assert.Equal("Paris.", output.Response);
        Assert.Equal(SampleFeedback.Text, output.Feedback.Text);
        Assert.Equal(SampleFeedback.Weaknesses, output.Feedback.Weaknesses);
        Assert.Equal(SampleFeedback.Suggestions, output.Feedback.Suggestions);
        Assert.Equal(4, output.ResponseScore);
        Assert.Equal("Paris is the capital.\n\n- It is on the Seine.", output.Refinement);
        Assert.Equal(9, output.RefinementScore);
    }

    [Fact]
    public void TryParse_FencedRefinement_KeepsFences()
    {
        var format = SelfRefinementFormat.Default;
        var text = format.Format("x", SampleFeedback, "```\ncode\n```", 5);

        Assert.True(format.TryParse(text, out var output));
        Assert.Equal("```\ncode\n```", output.Refinement);
    }

    [Fact]
    public void Format_FeedbackTextWithoutScore_AppendsScoreLine()
    {
        var feedback = new Feedback("Weaknesses:\n- a\nSuggestions:\n- b", ["a"], ["b"], 6);

        var text = SelfRefinementFormat.Default.Format("r", feedback, "s");

        Assert.Contains("- b\n\nOverall Score: [[6]]\n\n### Improved Response", text, StringComparison.Ordinal);
        Assert.True(SelfRefinementFormat.Default.TryParse(text, out var output));
        Assert.Equal(6, output.ResponseScore);
        Assert.Null(output.RefinementScore);
    }

    [Fact]
    public void Format_WithoutFeedback_WritesResponseAndRefinementOnly()
    {
        var text = SelfRefinementFormat.Default.Format("r", SampleFeedback, "s", refinementScore: 9, includeFeedback: false);

        Assert.Equal("r\n\n### Improved Response\ns", text);
        Assert.True(SelfRefinementFormat.Default.TryParse(text, out var output));
        Assert.Equal("r", output.Response);
        Assert.Equal("s", output.Refinement);
        Assert.Equal(string.Empty, output.Feedback.Text);
        Assert.Null(output.ResponseScore);
        Assert.Null(output.RefinementScore);
    }

    [Fact]
    public void TryParse_CustomHeadings_RoundTrips()
    {
        var format = new SelfRefinementFormat(new SelfRefinementFormatOptions
        {
            FeedbackHeading = "<feedback>",
            RefinementHeading = "<refinement>",
            RefinementScoreHeading = "<refinement-score>",
        });
        var text = format.Format("r", SampleFeedback, "s", 7);

        Assert.StartsWith("r\n\n<feedback>\n", text, StringComparison.Ordinal);
        Assert.True(format.TryParse(text, out var output));
        Assert.Equal(7, output.RefinementScore);
        Assert.Equal(4, output.ResponseScore);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Just an answer, no feedback.")]
    [InlineData("Answer\n\n### Feedback\nOverall Score: [[3]]")]
    [InlineData("### Feedback\nx\n### Improved Response\ny")]
    [InlineData("Answer\n### Feedback\nx\n### Improved Response\n   ")]
    public void TryParse_MissingParts_ReturnsFalse(string text)
    {
        Assert.False(SelfRefinementFormat.Default.TryParse(text, out var output));
        Assert.Null(output);
    }

    [Fact]
    public void TryParse_GeneratedWithoutRefinementScore_HasNullRefinementScore()
    {
        var text = "Answer\n\n### Feedback\nWeaknesses:\n- a\nSuggestions:\n- b\nOverall Score: 5\n\n### Improved Response\nBetter";

        Assert.True(SelfRefinementFormat.Default.TryParse(text, out var output));
        Assert.True(output.Feedback.IsComplete);
        Assert.Equal(5, output.ResponseScore);
        Assert.Null(output.RefinementScore);
        Assert.Equal("Better", output.Refinement);
    }

    [Fact]
    public void BuildCompletion_ResponseHoldsHeadingLine_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            SelfRefinementFormat.Default.BuildCompletion("a\n### Improved Response\nb", SampleFeedback, "s"));

        Assert.Equal("response", ex.ParamName);
    }

    [Fact]
    public void BuildCompletion_EmptyRefinement_Throws()
    {
        Assert.Throws<ArgumentException>(() => SelfRefinementFormat.Default.BuildCompletion("a", SampleFeedback, "  "));
    }

    [Fact]
    public void Options_DuplicateHeadings_RejectedEarly()
    {
        var options = new SelfRefinementFormatOptions { RefinementHeading = "### feedback" };

        Assert.Throws<ArgumentException>(() => new SelfRefinementFormat(options));
    }
}
