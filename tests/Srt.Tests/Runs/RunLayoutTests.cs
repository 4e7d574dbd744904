using Srt.Tests.TestDoubles;

namespace Srt.Tests.Runs;

/// <summary><see cref="RunLayout"/> names the places the loop really writes to, so code reading a run directory needs no names of its own.</summary>
public sealed class RunLayoutTests
{
    [Fact]
    public async Task Loop_StagesAndARound_WriteWhereRunLayoutSays()
    {
        using var harness = new LoopHarness();
        string run = harness.Folder.Path;
        await harness.CreateLoop().RunStageOneAsync(LoopHarness.Items(2));
        harness.Policy.AnswerCallback = instruction => new PolicyCompletion(SelfRefinementText.Of("first", 4, "better", 8));
        await harness.CreateLoop().RunStageTwoAsync(LoopHarness.Items(2, "s2"));
        await harness.CreateLoop().RunRoundAsync(1, LoopHarness.Items(2, "r1"));

        string stageOne = RunLayout.StageFolder(run, 1);
        Assert.True(File.Exists(RunLayout.ManifestPath(run)));
        foreach (string file in (string[])[RunLayout.ResponsesFileName, RunLayout.CritiquesFileName, RunLayout.RefinementScoresFileName, RunLayout.ExamplesFileName, RunLayout.OutcomesFileName])
        {
            Assert.True(File.Exists(Path.Combine(stageOne, file)), file);
        }

        foreach (string step in (string[])[RunLayout.StageFolder(run, 2), RunLayout.RoundFolder(run, 1)])
        {
            Assert.True(File.Exists(Path.Combine(step, RunLayout.OutputsFileName)), step);
            Assert.True(File.Exists(Path.Combine(step, RunLayout.PairsFileName)), step);
        }

        foreach (string step in (string[])[stageOne, RunLayout.StageFolder(run, 2), RunLayout.RoundFolder(run, 1)])
        {
            Assert.True(File.Exists(RunLayout.TrainingMarkerPath(step)), step);
            Assert.True(Directory.Exists(RunLayout.TrainingFolder(step)), step);
        }

        Assert.Equal(Path.Combine(run, "round1"), RunLayout.RoundFolder(run, 1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void StageFolder_NotAStage_ThrowsArgumentOutOfRange(int stage) =>
        Assert.Equal("stage", Assert.Throws<ArgumentOutOfRangeException>(() => RunLayout.StageFolder("runs/x", stage)).ParamName);

    [Fact]
    public void RoundFolderName_RoundZero_ThrowsArgumentOutOfRange() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RunLayout.RoundFolderName(0));
}
