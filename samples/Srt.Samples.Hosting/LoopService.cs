using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Srt.Datasets;

namespace Srt.Samples.Hosting;

/// <summary>
/// Runs both stages once, then stops the application. Host shutdown (Ctrl+C, SIGTERM) cancels the loop: critic calls in
/// flight are abandoned, everything finished is already on disk, and the next start resumes from there.
/// </summary>
internal sealed partial class LoopService(
    SelfRefinementLoop loop, IOptions<SampleDataOptions> data, IOptions<SampleModelOptions> model, IHostApplicationLifetime lifetime,
    RunExitCode exitCode, ILogger<LoopService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let host start-up finish before the loop's synchronous set-up runs.
        await Task.Yield();
        try
        {
            IReadOnlyList<InstructionItem> stageOne = Load(data.Value.StageOne, "stage-1");
            IReadOnlyList<InstructionItem> stageTwo = Load(data.Value.StageTwo, "stage-2");
            if (string.IsNullOrWhiteSpace(model.Value.Path))
            {
                LogTinyModel(Path.GetFullPath(model.Value.TinyFolder));
            }

            LogStarting(loop.RunDirectory, stageOne.Count, stageTwo.Count);
            SelfRefinementResult result = await loop.RunAsync(stageOne, stageTwo, new ProgressLogger(logger), stoppingToken);
            LogFinished(result.StageOne.Kept, result.StageOne.CriticCalls, result.StageTwo.Kept);
            lifetime.StopApplication();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Interrupted before the run finished: 130, as the other samples exit, so a script can tell "stopped, resumable"
            // from "done" (under systemd, list it in SuccessExitStatus=130). The run resumes on the next start.
            LogStopped(loop.RunDirectory);
            exitCode.Value = 130;
        }
        catch (Exception exception)
        {
            // One line with the cause; the stack trace only when Debug logging is on.
            LogFailed(exception.Message, loop.RunDirectory);
            LogFailureDetails(exception);
            exitCode.Value = 1;
            lifetime.StopApplication();
        }
    }

    private static IReadOnlyList<InstructionItem> Load(string? file, string stage) =>
        !string.IsNullOrWhiteSpace(file)
            ? InstructionDataset.ReadInstructions(file)
            : Enumerable.Range(1, 8).Select(i => new InstructionItem($"{stage}-{i}", $"Explain in one sentence why {BuiltInTopics[(i - 1) % BuiltInTopics.Length]} ({stage} #{i})")).ToList();

    private static readonly string[] BuiltInTopics =
    [
        "the sky is blue", "ice floats", "bread rises", "metal feels cold", "leaves change colour", "the moon has phases", "salt melts ice", "rainbows form",
    ];

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Self-refinement loop starting in {RunDirectory}: {StageOne} stage-1 and {StageTwo} stage-2 instructions.")]
    private partial void LogStarting(string runDirectory, int stageOne, int stageTwo);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Done: {Examples} stage-1 examples ({CriticCalls} critic calls this run), {Pairs} stage-2 pairs. Stopping.")]
    private partial void LogFinished(int examples, int criticCalls, int pairs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Stopped before the end; finished work is in {RunDirectory}. Start again to resume.")]
    private partial void LogStopped(string runDirectory);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "The self-refinement loop failed: {Reason} Finished work is in {RunDirectory}; start again to resume.")]
    private partial void LogFailed(string reason, string runDirectory);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "The failure in full.")]
    private partial void LogFailureDetails(Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Policy and trainer: the tiny random model in {Folder}; its answers are noise. Set Srt:Model:Path to a model folder for real training.")]
    private partial void LogTinyModel(string folder);

    /// <summary>Logs one line each time a stage enters a new phase.</summary>
    private sealed class ProgressLogger(ILogger logger) : IProgress<StageProgress>
    {
        private readonly Lock _gate = new();
        private (int, StagePhase) _last;

        public void Report(StageProgress value)
        {
            lock (_gate)
            {
                if ((value.Stage, value.Phase) != _last)
                {
                    _last = (value.Stage, value.Phase);
                    logger.LogInformation("Stage {Stage}: {Phase}, {Done}/{Total} settled, {Kept} kept, {CriticCalls} critic calls.", value.Stage, value.Phase, value.ItemsDone, value.ItemsTotal, value.Kept, value.CriticCalls);
                }
            }
        }
    }
}
