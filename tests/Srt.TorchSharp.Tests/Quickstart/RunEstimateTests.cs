using Srt.Samples.Quickstart;

namespace Srt.TorchSharp.Tests.Quickstart;

public sealed class RunEstimateTests
{
    private TimeSpan _now;

    [Fact]
    public void Remaining_BeforeAnyWork_IsTheTypicalTotal()
    {
        var estimate = new RunEstimate([("a", 10), ("b", 30)], () => _now);

        Assert.Equal(TimeSpan.FromSeconds(40), estimate.Remaining());
        Assert.Null(estimate.Current);
    }

    [Fact]
    public void Remaining_MachineTwiceAsSlow_ScalesTheWorkLeftByTheMeasuredSpeed()
    {
        var estimate = new RunEstimate([("a", 10), ("b", 30)], () => _now);
        estimate.Start("a");
        _now = TimeSpan.FromSeconds(20);
        estimate.Start("b");
        estimate.Report(0.5);
        _now = TimeSpan.FromSeconds(50);

        // 10 + 15 typical seconds done in 50 s: twice as slow, so the 15 typical seconds left take 30 s.
        Assert.Equal(TimeSpan.FromSeconds(30), estimate.Remaining());
        Assert.Equal("b", estimate.Current);
        Assert.Equal(2, estimate.CurrentNumber);
        Assert.Equal(25.0 / 40, estimate.DoneShare);
    }

    [Fact]
    public void Remaining_ResumedPhase_CostsNothingAndStartUpIsNotCountedAsWork()
    {
        var estimate = new RunEstimate([("a", 30), ("b", 10)], () => _now);
        _now = TimeSpan.FromSeconds(5);
        estimate.Resume("a");

        Assert.Equal(TimeSpan.FromSeconds(10), estimate.Remaining());
        estimate.Start("b");
        estimate.Report(0.5);
        _now = TimeSpan.FromSeconds(15);
        Assert.Equal(TimeSpan.FromSeconds(10), estimate.Remaining()); // 5 typical seconds took 10 s: twice as slow
        estimate.Finish();
        Assert.Equal(TimeSpan.Zero, estimate.Remaining());
        Assert.Equal(1, estimate.DoneShare);
    }

    [Fact]
    public void Start_UnknownPhase_ThrowsNamingThePhases()
    {
        var estimate = new RunEstimate([("a", 10)], () => _now);

        var exception = Assert.Throws<ArgumentException>(() => estimate.Start("z"));

        Assert.Contains("'z'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("a", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7, "10 s")]
    [InlineData(59, "1 min 00 s")]
    [InlineData(254, "4 min 10 s")]
    public void Format_Seconds_RoundsToTenSeconds(double seconds, string expected) =>
        Assert.Equal(expected, RunProgress.Format(TimeSpan.FromSeconds(seconds)));
}
