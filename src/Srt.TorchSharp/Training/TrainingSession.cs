using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>
/// The optimizer loop shared by SFT and DPO: epoch order, micro-batches accumulated to a global batch, NaN/Inf guard,
/// clipping, AdamW with the cosine schedule, metrics, checkpoints and resume. Runs synchronously on the calling thread.
/// </summary>
internal sealed class TrainingSession(
    LlamaForCausalLM model, LoraAdapters? adapters, TorchSharpTrainerOptions options, string name, string? outputDirectory,
    string? baseModelNameOrPath, ILogger logger, IProgress<TrainingProgress>? progress)
{
    private string? _lastCheckpoint;
    private int _lastCheckpointStep = -1;

    public TrainingResult Run(ITrainingObjective objective, int truncatedExamples, CancellationToken cancellationToken)
    {
        int stepsPerEpoch = LengthBucketedBatches.BatchesPerEpoch(objective.Count, options.GlobalBatchSize);
        int totalSteps = stepsPerEpoch * options.Epochs;
        var schedule = new CosineWithWarmupSchedule(totalSteps, options.WarmupRatio);
        var trainable = adapters is not null
            ? adapters.NamedParameters().ToList()
            : model.NamedParameters().Where(p => p.Parameter.requires_grad).ToList();
        using var optimizer = new MixedPrecisionAdamW(trainable, options);
        var lengths = Enumerable.Range(0, objective.Count).Select(objective.LengthOf).ToArray();

        int step = 0;
        long trainedTokens = 0;
        double lastLoss = double.NaN;
        if (Resume(objective, totalSteps, optimizer) is { } resumed)
        {
            (step, trainedTokens, lastLoss) = (resumed.GlobalStep, resumed.TrainedTokens, resumed.LastLoss);
            logger.LogInformation("Resuming {Kind} run '{Name}' at step {Step} of {Total}.", objective.Kind, name, step, totalSteps);
        }
        else
        {
            manual_seed(options.Seed);
        }

        using var metrics = new MetricsLog(outputDirectory, step);
        model.Train();
        if (adapters is not null)
        {
            adapters.IsTraining = true;
        }
        try
        {
            IReadOnlyList<int[]> batches = [];
            int loadedEpoch = -1;
            for (; step < totalSteps; step++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    Save(objective, step, totalSteps, stepsPerEpoch, trainedTokens, lastLoss, optimizer);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                int epoch = step / stepsPerEpoch;
                if (epoch != loadedEpoch)
                {
                    batches = LengthBucketedBatches.ForEpoch(lengths, options.GlobalBatchSize, options.LengthBucketBatches, options.Seed, epoch);
                    loadedEpoch = epoch;
                }
                var batch = batches[step % stepsPerEpoch];
                var (loss, record, tokens) = RunStep(objective, optimizer, schedule, batch, step, totalSteps, stepsPerEpoch);
                trainedTokens += tokens;
                lastLoss = loss;
                metrics.Append(name, record);
                progress?.Report(record);
                if ((step + 1) % options.LoggingSteps == 0 || step + 1 == totalSteps)
                {
                    logger.LogInformation(
                        "{Kind} step {Step}/{Total}: loss {Loss:F4}, lr {LearningRate:E3}, grad norm {GradNorm:F4}, {TokensPerSecond:F0} tokens/s",
                        objective.Kind, record.Step, totalSteps, loss, record.LearningRate, record.GradientNorm, record.TokensPerSecond);
                }
                if (options.SaveSteps > 0 && (step + 1) % options.SaveSteps == 0 && step + 1 < totalSteps)
                {
                    Save(objective, step + 1, totalSteps, stepsPerEpoch, trainedTokens, lastLoss, optimizer);
                }
            }
            Save(objective, totalSteps, totalSteps, stepsPerEpoch, trainedTokens, lastLoss, optimizer);
        }
        finally
        {
            model.Eval();
            if (adapters is not null)
            {
                adapters.IsTraining = false;
            }
        }
        return new TrainingResult(totalSteps, lastLoss)
        {
            TrainedTokens = trainedTokens,
            CheckpointDirectory = _lastCheckpoint,
            TruncatedExamples = truncatedExamples,
        };
    }

    private (double Loss, TrainingProgress Record, long TrainedTokens) RunStep(
        ITrainingObjective objective, MixedPrecisionAdamW optimizer, CosineWithWarmupSchedule schedule, int[] batch, int step, int totalSteps, int stepsPerEpoch)
    {
        var clock = Stopwatch.StartNew();
        double normalizer = objective.Normalizer(batch);
        double lossSum = 0;
        var metricSums = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            foreach (var micro in batch.Chunk(options.MicroBatchSize))
            {
                var (microLoss, microMetrics) = objective.Run(micro, normalizer, step + 1);
                lossSum += microLoss;
                foreach (var (key, value) in microMetrics)
                {
                    metricSums[key] = metricSums.GetValueOrDefault(key) + value;
                }
                optimizer.CollectGradients();
            }
            double gradNorm = optimizer.GradientNorm();
            if (!double.IsFinite(gradNorm))
            {
                throw new NonFiniteTrainingException(step + 1, "gradient norm", gradNorm);
            }
            double gradientScale = options.MaxGradNorm > 0 && gradNorm > options.MaxGradNorm ? options.MaxGradNorm / (gradNorm + 1e-6) : 1.0;
            double learningRate = options.LearningRate * schedule.Factor(step);
            optimizer.Step(learningRate, gradientScale);
            BackwardOutputs.Release(model.Device); // on CUDA: the last custom backward's outputs, lm_head gradient included
            double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            double loss = lossSum / normalizer;
            var record = new TrainingProgress(step + 1, totalSteps, loss, learningRate)
            {
                Epoch = (step + 1) / (double)stepsPerEpoch,
                GradientNorm = gradNorm,
                TokensPerSecond = batch.Sum(objective.TokensOf) / seconds,
                Metrics = metricSums.ToDictionary(m => m.Key, m => m.Value / normalizer, StringComparer.Ordinal),
            };
            return (loss, record, batch.Sum(objective.TrainedTokensOf));
        }
        catch (NonFiniteTrainingException)
        {
            optimizer.ZeroGradients();
            logger.LogError("Training stopped at step {Step}: non-finite loss or gradient; the last checkpoint is {Checkpoint}.", step + 1, _lastCheckpoint ?? "(none)");
            throw;
        }
    }

    private TrainerState? Resume(ITrainingObjective objective, int totalSteps, MixedPrecisionAdamW optimizer)
    {
        if (!options.ResumeFromCheckpoint || outputDirectory is null)
        {
            return null;
        }
        var checkpoints = TrainerCheckpoints.List(outputDirectory, objective.Kind, name);
        if (checkpoints.Count == 0)
        {
            return null;
        }
        var (folder, state) = checkpoints[^1];
        if (state.ExampleCount != objective.Count || state.TotalSteps != totalSteps || state.IsLora != (adapters is not null) || state.Seed != options.Seed)
        {
            throw new InvalidOperationException(
                $"Checkpoint {folder} was written for {state.ExampleCount} examples, {state.TotalSteps} steps, seed {state.Seed}, LoRA {state.IsLora}; " +
                $"this run has {objective.Count}, {totalSteps}, {options.Seed}, {adapters is not null}. Use a new output directory or set ResumeFromCheckpoint = false.");
        }
        if (adapters is not null)
        {
            adapters.LoadWeights(folder);
        }
        else
        {
            LlamaCheckpoint.Load(folder, model.Module);
        }
        optimizer.Load(Path.Combine(folder, TrainerCheckpoints.OptimizerFileName));
        using var rng = tensor(Convert.FromBase64String(state.RngState), ScalarType.Byte);
        set_rng_state(rng);
        (_lastCheckpoint, _lastCheckpointStep) = (folder, state.GlobalStep);
        return state;
    }

    private void Save(ITrainingObjective objective, int globalStep, int totalSteps, int stepsPerEpoch, long trainedTokens, double lastLoss, MixedPrecisionAdamW optimizer)
    {
        if (outputDirectory is null || globalStep == _lastCheckpointStep)
        {
            return;
        }
        using var rng = get_rng_state();
        var state = new TrainerState
        {
            Kind = objective.Kind,
            Name = name,
            GlobalStep = globalStep,
            TotalSteps = totalSteps,
            Epoch = globalStep / stepsPerEpoch,
            BatchInEpoch = globalStep % stepsPerEpoch,
            Seed = options.Seed,
            ExampleCount = objective.Count,
            RngState = Convert.ToBase64String(rng.data<byte>().ToArray()),
            TrainedTokens = trainedTokens,
            LastLoss = lastLoss,
            IsLora = adapters is not null,
        };
        _lastCheckpoint = TrainerCheckpoints.Write(outputDirectory, state, folder =>
        {
            if (adapters is not null)
            {
                adapters.Save(folder, baseModelNameOrPath);
            }
            else
            {
                model.SavePretrained(folder);
            }
            optimizer.Save(Path.Combine(folder, TrainerCheckpoints.OptimizerFileName));
        }, options.SaveTotalLimit);
        _lastCheckpointStep = globalStep;
        logger.LogInformation("Checkpoint written: {Checkpoint}", _lastCheckpoint);
    }
}
