namespace Srt.Testing.Tests;

public sealed class TestCriticTests
{
    [Fact]
    public async Task CritiqueAsync_Default_CritiqueScoresFourAndRefinesScoringCallScoresSeven()
    {
        var critic = new TestCritic();

        Critique critique = await critic.CritiqueAsync(new CritiqueRequest("Say hi.", "hi"));
        Critique scored = await critic.CritiqueAsync(new CritiqueRequest("Say hi.", "Better: hi") { IncludeImprovedResponse = false });

        Assert.Equal((4, "Better: hi", true), (critique.Feedback.Score, critique.ImprovedResponse, critique.Feedback.IsComplete));
        Assert.Equal((7, (string?)null), (scored.Feedback.Score, scored.ImprovedResponse));
        Assert.Equal((1, 1), (critic.CritiqueCalls, critic.ScoringCalls));
        Assert.Equal(["hi", "Better: hi"], critic.Requests.Select(request => request.Response));
    }

    [Fact]
    public async Task CritiqueAsync_CallbackSet_ReturnsItsCritiqueAndPassesTheToken()
    {
        using var cancellation = new CancellationTokenSource();
        CancellationToken seen = default;
        var critic = new TestCritic
        {
            CritiqueAsyncCallback = (request, token) =>
            {
                seen = token;
                return Task.FromResult(ScriptedCritiques.Complete(9, request.Instruction.ToUpperInvariant()));
            },
        };

        Critique critique = await critic.CritiqueAsync(new CritiqueRequest("shout", "x"), cancellation.Token);

        Assert.Equal((9, "SHOUT"), (critique.Feedback.Score, critique.ImprovedResponse));
        Assert.Equal(cancellation.Token, seen);
    }

    [Fact]
    public async Task CritiqueAsync_CallbackThrows_RequestStillRecordedAndNothingLeftInFlight()
    {
        var critic = new TestCritic { CritiqueAsyncCallback = (_, _) => throw new InvalidOperationException("down") };

        await Assert.ThrowsAsync<InvalidOperationException>(() => critic.CritiqueAsync(new CritiqueRequest("a", "b")));
        critic.CritiqueAsyncCallback = (request, _) => Task.FromResult(TestCritic.DefaultCritique(request));
        await critic.CritiqueAsync(new CritiqueRequest("c", "d"));

        Assert.Equal(["a", "c"], critic.Requests.Select(request => request.Instruction));
        Assert.Equal(1, critic.MaxInFlight);
    }

    [Fact]
    public async Task CritiqueAsync_EightConcurrentCalls_AllRecordedAndMaxInFlightEight()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int arrived = 0;
        var critic = new TestCritic();
        var working = critic.CritiqueAsyncCallback;
        critic.CritiqueAsyncCallback = async (request, token) =>
        {
            if (Interlocked.Increment(ref arrived) == 8)
            {
                gate.SetResult();
            }

            await gate.Task.WaitAsync(token);
            return await working(request, token);
        };

        Critique[] critiques = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => critic.CritiqueAsync(new CritiqueRequest($"i{i}", "r")))));

        Assert.Equal(8, critiques.Length);
        Assert.Equal(8, critic.Requests.Count);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"i{i}").Order(), critic.Requests.Select(request => request.Instruction).Order());
        Assert.Equal(8, critic.MaxInFlight);
    }

    [Fact]
    public void GetService_Default_ThisForItsOwnTypesWithoutKeyOnly()
    {
        var critic = new TestCritic();

        Assert.Same(critic, critic.GetService(typeof(ICritic)));
        Assert.Same(critic, critic.GetService(typeof(TestCritic)));
        Assert.Null(critic.GetService(typeof(ICritic), "key"));
        Assert.Null(critic.GetService(typeof(IRefiner)));
    }

    [Fact]
    public void GetService_CallbackSet_AnswersWithIt()
    {
        var refiner = new TestRefiner();
        var critic = new TestCritic { GetServiceCallback = (type, key) => type == typeof(IRefiner) && key is null ? refiner : null };

        Assert.Same(refiner, critic.GetService(typeof(IRefiner)));
        Assert.Null(critic.GetService(typeof(ICritic)));
    }
}
