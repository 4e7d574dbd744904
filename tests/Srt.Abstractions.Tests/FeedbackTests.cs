namespace Srt.Abstractions.Tests;

public class FeedbackTests
{
    [Theory]
    [InlineData(1, 1, 7, true)]
    [InlineData(0, 1, 7, false)]
    [InlineData(1, 0, 7, false)]
    [InlineData(1, 1, null, false)]
    public void IsComplete_NeedsWeaknessesSuggestionsAndScore(int weaknesses, int suggestions, int? score, bool expected)
    {
        var feedback = new Feedback("text", Enumerable.Repeat("w", weaknesses).ToList(), Enumerable.Repeat("s", suggestions).ToList(), score);

        Assert.Equal(expected, feedback.IsComplete);
    }

    [Fact]
    public void ScoreBounds_AreThePapersOneToTen()
    {
        Assert.Equal(1, Feedback.MinScore);
        Assert.Equal(10, Feedback.MaxScore);
    }
}
