using Srt.Evaluation;

namespace Srt.Tests.Evaluation;

public sealed class JudgeVerdictParserTests
{
    [Theory]
    [InlineData("[[A]]", 'A')]
    [InlineData("[[b]]", 'B')]
    [InlineData("After comparing both, my verdict: [[ B ]]", 'B')]
    [InlineData("Output A is concise but [[A]] vs [[B]]... final: [[A]]", 'A')]
    [InlineData("[B]", 'B')]
    [InlineData("A", 'A')]
    [InlineData("\"b\".", 'B')]
    [InlineData("Output (a) is better.", 'A')]
    [InlineData("I prefer Output B.", 'B')]
    public void TryParse_Verdicts_AreRead(string text, char expected)
    {
        Assert.True(JudgeVerdictParser.TryParse(text, out char verdict, out _));
        Assert.Equal(expected, verdict);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Both are fine.", "no [[A]] or [[B]] verdict")]
    [InlineData("Output A is long, Output B is short.", "names both outputs")]
    [InlineData("[[C]]", "no [[A]] or [[B]] verdict")]
    public void TryParse_NoVerdict_GivesReason(string text, string reasonPart)
    {
        Assert.False(JudgeVerdictParser.TryParse(text, out _, out string? reason));
        Assert.Contains(reasonPart, reason, StringComparison.Ordinal);
    }
}
