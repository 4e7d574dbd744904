namespace Srt.Testing.Tests;

public sealed class TestRefinerTests
{
    private static readonly Feedback SomeFeedback = ScriptedCritiques.Feedback(3);

    [Fact]
    public async Task RefineAsync_Default_PrefixesTheResponseAndRecordsTheRequest()
    {
        var refiner = new TestRefiner();

        Refinement refinement = await refiner.RefineAsync(new RefinementRequest("Say hi.", "hi", SomeFeedback));

        Assert.Equal("Refined: hi", refinement.Text);
        RefinementRequest request = Assert.Single(refiner.Requests);
        Assert.Same(SomeFeedback, request.Feedback);
    }

    [Fact]
    public async Task RefineAsync_CallbackSet_ReturnsItsRefinement()
    {
        var refiner = new TestRefiner { RefineAsyncCallback = (request, _) => Task.FromResult(new Refinement($"{request.Response} (score was {request.Feedback.Score})")) };

        Refinement refinement = await refiner.RefineAsync(new RefinementRequest("i", "r", SomeFeedback));

        Assert.Equal("r (score was 3)", refinement.Text);
    }

    [Fact]
    public void GetService_DefaultAndCallback_ThisThenTheCallbacksAnswer()
    {
        var refiner = new TestRefiner();
        Assert.Same(refiner, refiner.GetService(typeof(IRefiner)));
        Assert.Null(refiner.GetService(typeof(ICritic)));

        refiner.GetServiceCallback = (_, _) => "service";

        Assert.Equal("service", refiner.GetService(typeof(string)));
    }
}
