namespace Srt.Tests.Formats;

public class CritiqueParserScoreTests
{
    [Theory]
    [InlineData("Overall Score: [[7]]", 7)]
    [InlineData("Overall Score: 7", 7)]
    [InlineData("Overall Score: [[7]]/10", 7)]
    [InlineData("Overall Score: 7/10", 7)]
    [InlineData("Overall Score: [[7/10]]", 7)]
    [InlineData("Final verdict [[3/10]]", 3)]
    [InlineData("Overall Score: 7 / 10", 7)]
    [InlineData("Overall score: 7 out of 10", 7)]
    [InlineData("overall score:[[10]]", 10)]
    [InlineData("Overall Score: [[ 1 ]]", 1)]
    [InlineData("**Overall Score:** 7", 7)]
    [InlineData("**Overall Score**: [[6]]", 6)]
    [InlineData("### Overall Score\n7", 7)]
    [InlineData("### Overall Score\n\n[[8]]", 8)]
    [InlineData("## Overall Score:\n**4/10**", 4)]
    [InlineData("Overall Rating: 5", 5)]
    [InlineData("Overall Score (1-10): 9", 9)]
    [InlineData("Score: 3", 3)]
    [InlineData("The response deserves [[6]].", 6)]
    [InlineData("Overall Score: [[7]]\r\n", 7)]
    public void ParseScore_KnownFormat_ReadsScore(string text, int expected)
    {
        Assert.Equal(expected, CritiqueParser.ParseScore(text));
    }

    [Theory]
    [InlineData("Overall Score: [[0]]")]
    [InlineData("Overall Score: [[11]]")]
    [InlineData("Overall Score: 85")]
    [InlineData("Overall Score: 7.5")]
    [InlineData("Overall Score: 85%")]
    [InlineData("Overall Score: N/A")]
    [InlineData("The response is fine; I would give it a good score.")]
    [InlineData("")]
    public void ParseScore_MissingOrOutOfRange_ReturnsNull(string text)
    {
        Assert.Null(CritiqueParser.ParseScore(text));
    }

    [Fact]
    public void ParseScore_SeveralScores_LastOneWins()
    {
        var text = "Overall Score: [[4]]\n\nOn reflection the factual error is serious.\n\nOverall Score: [[3]]";

        Assert.Equal(3, CritiqueParser.ParseScore(text));
    }

    [Fact]
    public void ParseScore_LastScoreOutOfRange_ReturnsNullEvenAfterValidScore()
    {
        Assert.Null(CritiqueParser.ParseScore("Overall Score: [[4]]\nOverall Score: [[12]]"));
    }

    [Fact]
    public void ParseScore_LabelledScorePresent_IgnoresBareBrackets()
    {
        Assert.Equal(5, CritiqueParser.ParseScore("The list [[2]] is wrong.\nOverall Score: 5"));
    }

    [Fact]
    public void Parse_ScoreInsideImprovedResponse_IsNotTheFeedbackScore()
    {
        var text = "Weaknesses:\n- Vague.\nSuggestions:\n- Be concrete.\n\n### Improved Response\nOverall Score: 9 is what a tester wrote.";

        var critique = CritiqueParser.Parse(text);

        Assert.Null(critique.Feedback.Score);
        Assert.False(critique.Feedback.IsComplete);
    }
}
