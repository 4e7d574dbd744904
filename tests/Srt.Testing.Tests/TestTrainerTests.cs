namespace Srt.Testing.Tests;

public sealed class TestTrainerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "srt-testing-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task TrainSupervisedAsync_Default_ReportsTwoStepsAndLeavesACheckpointFolder()
    {
        var trainer = new TestTrainer();
        var reports = new List<TrainingProgress>();
        var request = new SupervisedTrainingRequest([]) { OutputDirectory = _folder };

        TrainingResult result = await trainer.TrainSupervisedAsync(request, new ListProgress(reports));

        Assert.Equal([(1, 1.5), (2, 1.0)], reports.Select(report => (report.Step, report.Loss)));
        Assert.Equal((2, 1.0, 100L), (result.Steps, result.FinalLoss, result.TrainedTokens));
        Assert.Equal(Path.Combine(_folder, "checkpoint-2"), result.CheckpointDirectory);
        Assert.True(Directory.Exists(result.CheckpointDirectory));
        Assert.Same(request, Assert.Single(trainer.SupervisedRequests));
        Assert.Empty(trainer.PreferenceRequests);
    }

    [Fact]
    public async Task TrainPreferenceAsync_NoOutputDirectory_NoCheckpoint()
    {
        var trainer = new TestTrainer();

        TrainingResult result = await trainer.TrainPreferenceAsync(new PreferenceTrainingRequest([]));

        Assert.Null(result.CheckpointDirectory);
        Assert.Single(trainer.PreferenceRequests);
        Assert.False(Directory.Exists(_folder));
    }

    [Fact]
    public async Task TrainAsync_CallbacksSet_ReturnTheirResults()
    {
        var trainer = new TestTrainer
        {
            TrainSupervisedAsyncCallback = (request, _, _) => Task.FromResult(new TrainingResult(request.Examples.Count, 0.25)),
            TrainPreferenceAsyncCallback = (_, _, token) => Task.FromCanceled<TrainingResult>(token),
        };
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        TrainingResult supervised = await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest([]));

        Assert.Equal((0, 0.25), (supervised.Steps, supervised.FinalLoss));
        await Assert.ThrowsAsync<TaskCanceledException>(() => trainer.TrainPreferenceAsync(new PreferenceTrainingRequest([]), cancellationToken: cancelled.Token));
        Assert.Single(trainer.PreferenceRequests);
    }

    [Fact]
    public async Task RestoreAsync_ThroughGetService_RecordsEachFolderInOrderAndRunsTheCallback()
    {
        var trainer = new TestTrainer();
        var seen = new List<string>();
        trainer.RestoreAsyncCallback = (folder, _) =>
        {
            seen.Add(folder);
            return Task.CompletedTask;
        };
        var restorer = Assert.IsType<ITrainedStateRestorer>(trainer.GetService(typeof(ITrainedStateRestorer)), exactMatch: false);

        await restorer.RestoreAsync("stage1/checkpoint-2");
        await restorer.RestoreAsync("stage2/checkpoint-2");

        Assert.Equal(["stage1/checkpoint-2", "stage2/checkpoint-2"], trainer.Restored);
        Assert.Equal(trainer.Restored, seen);
    }

    [Fact]
    public void GetService_DefaultThenCallbackOffersNothing_RestorerOnlyByDefault()
    {
        var trainer = new TestTrainer();
        Assert.Same(trainer, trainer.GetService(typeof(ITrainer)));
        Assert.Same(trainer, trainer.GetService(typeof(ITrainedStateRestorer)));
        Assert.Null(trainer.GetService(typeof(ITrainedStateRestorer), "key"));

        trainer.GetServiceCallback = (_, _) => null;

        Assert.Null(trainer.GetService(typeof(ITrainedStateRestorer)));
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private sealed class ListProgress(List<TrainingProgress> reports) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => reports.Add(value);
    }
}
