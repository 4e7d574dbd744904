using Srt.Evaluation;

namespace Srt.Tests.Evaluation;

public sealed class TaskAccuracyEvaluatorTests
{
    [Theory]
    [InlineData("  Paris. ", "paris")]
    [InlineData("The   answer\n is\t42!!", "the answer is 42")]
    [InlineData("Yes?!.", "yes")]
    [InlineData("ÉCOLE", "école")]
    public void Normalize_Defaults_TrimFoldCollapseAndStrip(string input, string expected) =>
        Assert.Equal(expected, new AnswerNormalizationOptions().Normalize(input));

    [Fact]
    public void Normalize_AllOff_KeepsText()
    {
        var options = new AnswerNormalizationOptions { Trim = false, CaseFold = false, CollapseWhitespace = false, TrailingPunctuation = "" };
        Assert.Equal(" A  b. ", options.Normalize(" A  b. "));
    }

    [Fact]
    public void Evaluate_ExactMatchAfterNormalization_CountsCorrectAnswers()
    {
        var report = new TaskAccuracyEvaluator().Evaluate(
        [
            new AccuracyItem("1", "Paris", "paris."),
            new AccuracyItem("2", "42", " 42 "),
            new AccuracyItem("3", "blue whale", "The blue whale"),
            new AccuracyItem("4", "7", "8"),
        ]);

        Assert.Equal(2, report.Correct);
        Assert.Equal(4, report.Total);
        Assert.Equal(0.5, report.Accuracy);
        Assert.Equal([true, true, false, false], report.Items.Select(i => i.IsCorrect));
        Assert.Equal("the blue whale", report.Items[2].NormalizedActual);
    }

    [Fact]
    public void Evaluate_CustomChecker_ReceivesNormalizedTexts()
    {
        var calls = new List<(string, string)>();
        var evaluator = new TaskAccuracyEvaluator(checker: (expected, actual) =>
        {
            calls.Add((expected, actual));
            return actual.EndsWith(expected, StringComparison.Ordinal);
        });

        var report = evaluator.Evaluate([new AccuracyItem("1", "Blue Whale", "The answer is: the  BLUE whale.")]);

        Assert.Equal(1.0, report.Accuracy);
        Assert.Equal([("blue whale", "the answer is: the blue whale")], calls);
    }

    [Fact]
    public void Evaluate_NoItems_AccuracyIsNull() => Assert.Null(new TaskAccuracyEvaluator().Evaluate([]).Accuracy);
}
