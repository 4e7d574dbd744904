using Srt.Tests.TestDoubles;

namespace Srt.Tests.Loop;

public sealed class InstructionItemTests
{
    [Fact]
    public async Task RunStageOne_DuplicateId_ErrorNamesIdBeforeAnyCall()
    {
        using var harness = new LoopHarness();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => harness.CreateLoop().RunStageOneAsync(
            [new InstructionItem("q1", "a"), new InstructionItem("q2", "b"), new InstructionItem("q1", "c")]));

        Assert.Contains("'q1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("index 2", error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Policy.Calls);
    }

    [Theory]
    [InlineData("", "text", "empty Id")]
    [InlineData("q", "  ", "'q' (index 0) has an empty Instruction")]
    public async Task RunStageOne_EmptyField_ErrorNamesField(string id, string instruction, string expected)
    {
        using var harness = new LoopHarness();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => harness.CreateLoop().RunStageOneAsync([new InstructionItem(id, instruction)]));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_BadStageTwoItems_RejectedBeforeStageOneRuns()
    {
        using var harness = new LoopHarness();

        await Assert.ThrowsAsync<ArgumentException>(() => harness.CreateLoop().RunAsync(LoopHarness.Items(2), [new InstructionItem("x", "")]));

        Assert.Empty(harness.Policy.Calls);
        Assert.Empty(harness.Critic.Requests);
    }
}
