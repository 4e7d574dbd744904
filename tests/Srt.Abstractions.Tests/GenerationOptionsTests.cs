namespace Srt.Abstractions.Tests;

public class GenerationOptionsTests
{
    [Fact]
    public void Defaults_AreThePapersPolicySampling()
    {
        var options = new GenerationOptions();

        Assert.Equal(0.7f, options.Temperature);
        Assert.Equal(1f, options.TopP);
        Assert.Equal(0, options.TopK);
        Assert.Equal(2048, options.MaxNewTokens);
        Assert.Empty(options.StopSequences);
        Assert.Null(options.Seed);
    }

    [Fact]
    public void Clone_CopiesEverySettingAndDetachesStopSequences()
    {
        var options = new GenerationOptions { Temperature = 0.2f, TopP = 0.9f, TopK = 5, MaxNewTokens = 12, Seed = 7 };
        options.StopSequences.Add("###");

        var copy = options.Clone();
        copy.StopSequences.Add("END");

        Assert.Equal((0.2f, 0.9f, 5, 12, 7L), (copy.Temperature, copy.TopP, copy.TopK, copy.MaxNewTokens, copy.Seed!.Value));
        Assert.Equal(["###", "END"], copy.StopSequences);
        Assert.Equal(["###"], options.StopSequences);
    }

    [Fact]
    public void CritiqueRequest_AsksForImprovedResponseByDefault()
    {
        Assert.True(new CritiqueRequest("i", "r").IncludeImprovedResponse);
        Assert.False((new CritiqueRequest("i", "r") with { IncludeImprovedResponse = false }).IncludeImprovedResponse);
    }
}
