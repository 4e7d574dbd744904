using Srt.Samples.Quickstart;

namespace Srt.TorchSharp.Tests.Quickstart;

public sealed class SumCriticTests
{
    private readonly SumCritic _critic = new();

    [Fact]
    public async Task Critique_WrongSum_WritesRunningTotalsScoreAndComputedRefinement()
    {
        Critique critique = await _critic.CritiqueAsync(new CritiqueRequest("Add 7+5+9+3", "23"));

        Assert.True(critique.Feedback.IsComplete);
        Assert.Equal("7+5+9+3: 7+5=12, 12+9=21, 21+3=24, so the sum is 24, not 23.", Assert.Single(critique.Feedback.Weaknesses));
        Assert.Equal("7+5+9+3: 7+5=12, 12+9=21, 21+3=24, so the sum is 24, as given.", Assert.Single((await _critic.CritiqueAsync(new CritiqueRequest("Add 7+5+9+3", "24"))).Feedback.Weaknesses));
        Assert.Equal("Add one number at a time.", Assert.Single(critique.Feedback.Suggestions));
        Assert.Equal(5, critique.Feedback.Score);
        Assert.Equal("24", critique.ImprovedResponse);
        Assert.Contains("### Improved Response", critique.RawText);
    }

    [Theory]
    [InlineData("24", 10)]
    [InlineData("The sum is 24", 10)]
    [InlineData("22", 4)]
    [InlineData("20", 3)]
    [InlineData("40", 2)]
    [InlineData("no idea", 1)]
    public async Task Critique_Answer_ScoreFallsWithDistance(string response, int expected)
    {
        Critique critique = await _critic.CritiqueAsync(new CritiqueRequest("Add 7+5+9+3", response) { IncludeImprovedResponse = false });

        Assert.Equal(expected, critique.Feedback.Score);
        Assert.Null(critique.ImprovedResponse);
        Assert.True(critique.Feedback.IsComplete);
    }

    [Fact]
    public async Task Refine_AnyProblem_ComputesTheSum()
    {
        var feedback = new Feedback("x", ["w"], ["s"], 2);

        Refinement refinement = await _critic.RefineAsync(new RefinementRequest("Add 31+8", "30", feedback));

        Assert.Equal("39", refinement.Text);
    }

    [Fact]
    public void Parse_NotASum_ThrowsNamingTheInstruction()
    {
        var exception = Assert.Throws<FormatException>(() => SumProblem.Parse("Sort 3 1 2"));

        Assert.Contains("'Sort 3 1 2'", exception.Message);
    }

    [Fact]
    public void Format_CriticFeedback_RoundTripsThroughSelfRefinementFormat()
    {
        var problem = SumProblem.Parse("Add 9+9+8");
        Feedback feedback = CritiqueParser.Parse(SumCritic.Write(problem, "25", includeImprovedResponse: false)).Feedback;
        string text = SelfRefinementFormat.Default.Format("25", feedback, "26", 10);

        Assert.True(SelfRefinementFormat.Default.TryParse(text, out SelfRefinementOutput? parsed));
        Assert.Equal("25", parsed.Response);
        Assert.Equal("26", parsed.Refinement);
        Assert.Equal(5, parsed.Feedback.Score);
        Assert.Equal(10, parsed.RefinementScore);
    }
}
