// Runs stage 1 and stage 2 of the loop with both the policy and the critic behind one OpenAI-compatible endpoint, and
// hands the stage-1 weights to the server between them (VllmAdapterLoader), so that a test can kill this process
// midway and check that a rerun resumes without sending any completed request again.
// Usage: Srt.OpenAI.Tests.KillTarget <run directory> <endpoint> <stage-1 items> <stage-2 items> <trainer log>
// Prints one JSON line with what the run did, when it finishes.
using System.Globalization;
using System.Text.Json;
using Srt;
using Srt.OpenAI;

if (args.Length != 5)
{
    Console.Error.WriteLine("usage: Srt.OpenAI.Tests.KillTarget <run directory> <endpoint> <stage-1 items> <stage-2 items> <trainer log>");
    return 2;
}

var endpoint = new Uri(args[1]);
int stageOneCount = int.Parse(args[2], CultureInfo.InvariantCulture);
int stageTwoCount = int.Parse(args[3], CultureInfo.InvariantCulture);
var retry = new RetryOptions { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(10) };
var criticOptions = new OpenAICriticOptions { Model = "critic-test", Endpoint = endpoint };
criticOptions.Critic.Retry = retry;
var critic = OpenAICritic.Create(criticOptions);
var trainer = new LoggingTrainer(args[4]);
var options = new SelfRefinementOptions { RunDirectory = args[0], GenerationBatchSize = 4, MaxConcurrentCriticCalls = 4, Seed = 42 };

var baseOptions = new OpenAIPolicyOptions { Model = "policy-base", Endpoint = endpoint };
baseOptions.Policy.Retry = retry;
using var basePolicy = OpenAIPolicy.Create(baseOptions);
var stageOneItems = Enumerable.Range(0, stageOneCount).Select(i => new InstructionItem($"one-{i:D3}", $"Stage one instruction {i}")).ToList();
StageOneResult one = await new SelfRefinementLoop(basePolicy, critic, trainer, options).RunStageOneAsync(stageOneItems);

// The train → serve hand-off: the server loads the stage-1 adapter under the name the stage-2 policy asks for.
var trainedOptions = new OpenAIPolicyOptions { Model = "policy-stage1", Endpoint = endpoint };
trainedOptions.Policy.Retry = retry;
using var http = new HttpClient();
string adapter = one.Training?.CheckpointDirectory ?? throw new InvalidOperationException("Stage 1 trained nothing.");
VllmAdapterLoadOutcome loaded = await VllmAdapterLoader.Create(trainedOptions, http).LoadAsync(trainedOptions.Model, adapter);

using var trainedPolicy = OpenAIPolicy.Create(trainedOptions);
var stageTwoItems = Enumerable.Range(0, stageTwoCount).Select(i => new InstructionItem($"two-{i:D3}", $"Stage two instruction {i}")).ToList();
StageTwoResult two = await new SelfRefinementLoop(trainedPolicy, critic, trainer, options).RunStageTwoAsync(stageTwoItems);

Console.WriteLine(JsonSerializer.Serialize(new
{
    adapter = loaded.ToString(),
    stageOneGeneratedThisRun = one.GeneratedThisRun,
    stageOneCriticCalls = one.CriticCalls,
    stageOneCriticInputTokens = one.InputTokens,
    stageOneCriticOutputTokens = one.OutputTokens,
    stageOneKept = one.Kept,
    stageOneFailed = one.Failed,
    stageTwoGeneratedThisRun = two.GeneratedThisRun,
    stageTwoCompletionTokens = two.CompletionTokens,
    stageTwoKept = two.Kept,
    stageTwoFailed = two.Failed,
}));
return 0;

/// <summary>Records each training call as a line in a file (the processes share it), and "trains" instantly.</summary>
internal sealed class LoggingTrainer(string logPath) : ITrainer, ITrainedStateRestorer
{
    // With a served policy, the trained weights reach the server through the adapter hand-off; restoring logs the folder the loop asked for.
    public Task RestoreAsync(string checkpointDirectory, CancellationToken cancellationToken = default)
    {
        File.AppendAllText(logPath, $"restore {Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(checkpointDirectory)))}/{Path.GetFileName(checkpointDirectory)}\n");
        return Task.CompletedTask;
    }

    public Task<TrainingResult> TrainSupervisedAsync(SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string adapter = Path.Combine(request.OutputDirectory ?? throw new InvalidOperationException("No output directory."), "adapter");
        Directory.CreateDirectory(adapter);
        File.AppendAllText(logPath, $"supervised {request.Examples.Count}\n");
        return Task.FromResult(new TrainingResult(1, 0.5) { CheckpointDirectory = adapter });
    }

    public Task<TrainingResult> TrainPreferenceAsync(PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        File.AppendAllText(logPath, $"preference {request.Pairs.Count}\n");
        return Task.FromResult(new TrainingResult(1, 0.25));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
}
