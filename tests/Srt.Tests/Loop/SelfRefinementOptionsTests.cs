namespace Srt.Tests.Loop;

public sealed class SelfRefinementOptionsTests
{
    [Fact]
    public void Defaults_EqualPaperSettings()
    {
        var options = new SelfRefinementOptions();

        Assert.Equal(0.7f, options.Temperature);
        Assert.Equal(1f, options.TopP);
        Assert.Equal(2048, options.MaxNewTokens);
        Assert.Equal(8, options.MaxConcurrentCriticCalls);
        Assert.True(options.FilterByRefinementScore);
        Assert.True(options.IncludeFeedbackInStageOne);
        Assert.Equal(StageTwoTieRule.DropTies, options.TieRule);
        Assert.False(options.IncludeFeedbackInChosen);
        Assert.Null(options.SystemPrompt);
        Assert.True(options.RetryFailedItems);
    }

    [Theory]
    [InlineData(nameof(SelfRefinementOptions.RunDirectory))]
    [InlineData(nameof(SelfRefinementOptions.Temperature))]
    [InlineData(nameof(SelfRefinementOptions.TopP))]
    [InlineData(nameof(SelfRefinementOptions.MaxNewTokens))]
    [InlineData(nameof(SelfRefinementOptions.StageTwoMaxNewTokens))]
    [InlineData(nameof(SelfRefinementOptions.GenerationBatchSize))]
    [InlineData(nameof(SelfRefinementOptions.MaxConcurrentCriticCalls))]
    [InlineData(nameof(SelfRefinementOptions.TieRule))]
    [InlineData(nameof(SelfRefinementOptions.SystemPrompt))]
    public void Validate_BadSetting_MessageNamesIt(string field)
    {
        var options = new SelfRefinementOptions { RunDirectory = "run" };
        switch (field)
        {
            case nameof(SelfRefinementOptions.RunDirectory): options.RunDirectory = " "; break;
            case nameof(SelfRefinementOptions.Temperature): options.Temperature = float.NaN; break;
            case nameof(SelfRefinementOptions.TopP): options.TopP = 0; break;
            case nameof(SelfRefinementOptions.MaxNewTokens): options.MaxNewTokens = 0; break;
            case nameof(SelfRefinementOptions.StageTwoMaxNewTokens): options.StageTwoMaxNewTokens = -1; break;
            case nameof(SelfRefinementOptions.GenerationBatchSize): options.GenerationBatchSize = 0; break;
            case nameof(SelfRefinementOptions.MaxConcurrentCriticCalls): options.MaxConcurrentCriticCalls = 0; break;
            case nameof(SelfRefinementOptions.TieRule): options.TieRule = (StageTwoTieRule)7; break;
            case nameof(SelfRefinementOptions.SystemPrompt): options.SystemPrompt = ""; break;
        }

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(field, error.ParamName);
        Assert.Contains($"SelfRefinementOptions.{field}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loop_InvalidOptions_RejectedAtConstruction()
    {
        var harness = new TestDoubles.LoopHarness();
        harness.Options.MaxConcurrentCriticCalls = -3;

        var error = Assert.Throws<ArgumentException>(() => harness.CreateLoop());

        Assert.Contains("MaxConcurrentCriticCalls", error.Message, StringComparison.Ordinal);
        harness.Dispose();
    }

    [Fact]
    public void Validate_BadFormatHeading_MessageNamesIt()
    {
        var options = new SelfRefinementOptions { RunDirectory = "run" };
        options.Format.RefinementHeading = options.Format.FeedbackHeading;

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("Format", error.ParamName);
        Assert.Contains("SelfRefinementOptions.Format.", error.Message, StringComparison.Ordinal);
    }
}
