using Srt.Evaluation;

namespace Srt.Tests.Evaluation;

public sealed class WinRateStatisticsTests
{
    [Theory]
    [InlineData(8.0, 10, 0.490162, 0.943318)]
    [InlineData(3.5, 5, 0.298791, 0.927416)]
    [InlineData(0.0, 4, 0.0, 0.489891)]
    public void WilsonInterval_KnownCounts_MatchHandComputation(double score, int n, double lower, double upper)
    {
        (double l, double u) = WinRateStatistics.WilsonInterval(score, n);
        Assert.Equal(lower, l, 5);
        Assert.Equal(upper, u, 5);
    }

    [Fact]
    public void LengthControlledWinRate_LongerAnswersWin_RemovesTheLengthAdvantage()
    {
        // Reference values from an independent Newton fit (Python, same model and penalty): θ0 = -0.0015274, σ(θ0) = 0.4996181.
        double[] scores = [1, 1, 0.5, 0, 1, 0, 0, 1];
        double[] differences = [100, 50, 0, -50, 200, -100, 30, -20];

        double? lc = WinRateStatistics.LengthControlledWinRate(scores, differences);

        Assert.Equal(0.4996181, lc!.Value, 6);
        Assert.Equal(0.5625, scores.Average());
    }

    [Fact]
    public void LengthControlledWinRate_NoLengthDifference_EqualsRawRate()
    {
        double[] scores = [1, 1, 0, 0.5, 1];
        Assert.Equal(0.7, WinRateStatistics.LengthControlledWinRate(scores, [0, 0, 0, 0, 0])!.Value, 9);
    }

    [Fact]
    public void LengthControlledWinRate_LengthSeparatesPerfectly_StaysFinite()
    {
        double[] scores = [1, 1, 1, 0, 0, 0];
        double? lc = WinRateStatistics.LengthControlledWinRate(scores, [10, 20, 30, -10, -20, -30]);
        Assert.InRange(lc!.Value, 0.45, 0.55);
    }

    [Fact]
    public void LengthControlledWinRate_AllWins_IsOne() =>
        Assert.Equal(1.0, WinRateStatistics.LengthControlledWinRate([1.0, 1.0], [5, -5]));
}
