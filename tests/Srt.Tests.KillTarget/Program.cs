// Runs stage 1 of the loop over a run directory with a slow, deterministic scripted critic, so that a test can kill
// this process midway and check that a rerun resumes without repeating any finished critic call.
// With a fifth argument the critic is the OpenAI critic talking to that OpenAI-compatible endpoint (a loopback server
// in the test), so a test can measure the time from the server's last byte to the record on disk.
// With a sixth argument "batch" that critic works through the Batch API (stage 1 in batch mode, polling every 2 s), so a
// test can kill it between a batch's creation and its first poll.
// Usage: Srt.Tests.KillTarget <run directory> <item count> <critic delay ms> <max concurrent critic calls> [<critic endpoint> [batch]]
using System.Globalization;
using Microsoft.Extensions.AI;
using Srt;
using Srt.OpenAI;

if (args.Length is not (4 or 5 or 6))
{
    Console.Error.WriteLine("usage: Srt.Tests.KillTarget <run directory> <item count> <critic delay ms> <max concurrent critic calls> [<critic endpoint> [batch]]");
    return 2;
}

int count = int.Parse(args[1], CultureInfo.InvariantCulture);
int delay = int.Parse(args[2], CultureInfo.InvariantCulture);
var options = new SelfRefinementOptions
{
    RunDirectory = args[0],
    MaxConcurrentCriticCalls = int.Parse(args[3], CultureInfo.InvariantCulture),
    CritiqueInBatches = args.Length == 6,
};
var items = Enumerable.Range(0, count).Select(index => new InstructionItem($"item-{index:D3}", $"Instruction number {index}"));
ICritic critic = args.Length switch
{
    6 => new OpenAIBatchCritic(
        new OpenAICriticOptions { Model = "critic-test", Endpoint = new Uri(args[4]), ApiKey = "kill-test" },
        new OpenAIBatchOptions { PollInterval = TimeSpan.FromSeconds(2), MaxPollInterval = TimeSpan.FromSeconds(2) }),
    5 => OpenAICritic.Create(new OpenAICriticOptions { Model = "critic-test", Endpoint = new Uri(args[4]), ApiKey = "kill-test" }),
    _ => new SlowCritic(delay),
};
var loop = new SelfRefinementLoop(new EchoPolicy(), critic, new BlockingTrainer(), options);
await loop.RunStageOneAsync(items);
return 0;

/// <summary>Answers "Answer to: {instruction}", as the tests' ScriptedPolicy does by default.</summary>
internal sealed class EchoPolicy : IPolicyModel
{
    public Task<IReadOnlyList<PolicyCompletion>> GenerateAsync(IReadOnlyList<IReadOnlyList<ChatMessage>> prompts, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<PolicyCompletion>>(prompts.Select(prompt => new PolicyCompletion("Answer to: " + prompt[^1].Text)).ToList());

    public object? GetService(Type serviceType, object? serviceKey = null) => null;
}

/// <summary>Critiques as the tests' ScriptedCritic does by default (response 4, refinement 7), after a delay.</summary>
internal sealed class SlowCritic(int delayMilliseconds) : ICritic
{
    public async Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default)
    {
        await Task.Delay(delayMilliseconds, cancellationToken);
        int score = request.IncludeImprovedResponse ? 4 : 7;
        var feedback = new Feedback($"Weak: too short.\nSuggest: add detail.\nOverall Score: [[{score}]]", ["too short"], ["add detail"], score);
        return new Critique(feedback, request.IncludeImprovedResponse ? "Better: " + request.Response : null, $"score {score}");
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;
}

/// <summary>Never finishes training: the process is meant to be killed before or during it.</summary>
internal sealed class BlockingTrainer : ITrainer
{
    public async Task<TrainingResult> TrainSupervisedAsync(SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return new TrainingResult(0, double.NaN);
    }

    public Task<TrainingResult> TrainPreferenceAsync(PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;
}
