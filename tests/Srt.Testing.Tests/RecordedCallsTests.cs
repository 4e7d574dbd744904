namespace Srt.Testing.Tests;

public sealed class RecordedCallsTests
{
    [Fact]
    public async Task Requests_EnumeratedWhileCallsArrive_EnumerationSeesASnapshot()
    {
        var refiner = new TestRefiner();
        var feedback = ScriptedCritiques.Feedback(5);
        await refiner.RefineAsync(new RefinementRequest("i", "first", feedback));

        var seen = new List<string>();
        foreach (var request in refiner.Requests)
        {
            seen.Add(request.Response);
            await refiner.RefineAsync(new RefinementRequest("i", "during", feedback));
        }

        Assert.Equal(["first"], seen);
        Assert.Equal(["first", "during"], refiner.Requests.Select(request => request.Response));
        Assert.Equal("during", refiner.Requests[1].Response);
    }

    [Fact]
    public async Task Clear_AfterCalls_CountsOnlyLaterCalls()
    {
        var policy = new TestPolicyModel();
        await policy.GenerateAsync([[new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "a")]]);

        policy.Calls.Clear();
        await policy.GenerateAsync([[new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "b")]]);

        Assert.Equal("b", TestPolicyModel.InstructionOf(Assert.Single(policy.Calls).Prompts[0]));
        Assert.Equal(1, policy.PromptCount);
    }

    [Fact]
    public async Task Requests_ManyThreads_NoneLost()
    {
        var critic = new TestCritic();

        await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(() => critic.CritiqueAsync(new CritiqueRequest($"i{i}", "r")))));

        Assert.Equal(400, critic.Requests.Count);
        Assert.Equal(400, critic.Requests.ToArray().Select(request => request.Instruction).Distinct().Count());
    }
}
