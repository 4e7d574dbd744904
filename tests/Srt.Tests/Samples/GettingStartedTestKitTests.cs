// The code of docs/getting-started.md, "Test your code with Srt.Testing", verbatim below this comment: keep the two
// the same, so that the example in the docs is known to compile and pass.
using Srt;
using Srt.Testing;

namespace MyApp.Tests;

// Your code: runs stage 1 over a list of instructions and sums it up in one line.
public sealed class TuningJob(IPolicyModel policy, ICritic critic, ITrainer trainer, string runDirectory)
{
    public async Task<string> RunStageOneAsync(IReadOnlyList<string> instructions, CancellationToken cancellationToken = default)
    {
        var loop = new SelfRefinementLoop(policy, critic, trainer, new SelfRefinementOptions { RunDirectory = runDirectory });
        var items = instructions.Select((text, i) => new InstructionItem($"s1-{i}", text));
        StageOneResult result = await loop.RunStageOneAsync(items, cancellationToken: cancellationToken);
        return $"kept {result.Kept} of {result.Total}";
    }
}

public sealed class TuningJobTests : IDisposable
{
    private readonly string _runDirectory = Path.Combine(Path.GetTempPath(), "tuning-job-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task RunStageOne_CriticRatesOneRefinementWorse_KeepsTheOther()
    {
        var critic = new TestCritic
        {
            CritiqueAsyncCallback = (request, _) => Task.FromResult(request.IncludeImprovedResponse
                // The one-call critique: weaknesses, suggestions, a score of 4 and an improved response.
                ? ScriptedCritiques.Complete(score: 4, improvedResponse: "Better: " + request.Response)
                // The separate call that scores the refinement: it rates the first one below its response.
                : ScriptedCritiques.ScoreOnly(request.Instruction == "Name a prime." ? 2 : 8)),
        };
        var trainer = new TestTrainer();
        var job = new TuningJob(new TestPolicyModel(), critic, trainer, _runDirectory);

        string summary = await job.RunStageOneAsync(["Name a prime.", "Name a color."]);

        Assert.Equal("kept 1 of 2", summary);
        Assert.Equal(2, critic.CritiqueCalls);
        Assert.Equal(2, critic.ScoringCalls);
        SupervisedExample example = Assert.Single(trainer.SupervisedRequests.Single().Examples);
        Assert.Equal("s1-1", example.Id);
    }

    public void Dispose() => Directory.Delete(_runDirectory, recursive: true);
}
