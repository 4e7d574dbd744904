using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>
/// The optimizer loop shared by SFT and DPO: epoch order, micro-batches accumulated to a global batch, NaN/Inf guard,
/// clipping, AdamW with the learning-rate schedule, metrics, checkpoints and resume. Runs synchronously on the calling thread.
/// </summary>
/// <remarks>
/// A step's update is trusted only once the next step's loss and gradient norm, computed from the weights it made,
/// are finite: a step checkpoint (<see cref="TorchSharpTrainerOptions.SaveSteps"/>) is written then, before that next
/// update, so a step that wrecks the weights (finite but huge, as a learning rate far too high makes them) never
/// reaches a checkpoint, and a stop puts the model back to the last checkpoint.
/// </remarks>
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
        var schedule = LearningRateSchedules.Create(options, totalSteps);
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
        model.Module.Decoder.CheckpointLayers = options.GradientCheckpointing;
        if (adapters is not null)
        {
            adapters.IsTraining = true;
        }
        try
        {
            IReadOnlyList<int[]> batches = [];
            int loadedEpoch = -1;
            (int Step, long TrainedTokens, double LastLoss)? pending = null;
            int[]? lastBatch = null;
            for (; step < totalSteps; step++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    Save(objective, step, totalSteps, stepsPerEpoch, trainedTokens, lastLoss, optimizer, rngState: null);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                int epoch = step / stepsPerEpoch;
                if (epoch != loadedEpoch)
                {
                    batches = options.BatchLayout == BatchLayout.Packed
                        ? ShuffledBatches.ForEpoch(lengths.Length, options.GlobalBatchSize, options.Seed, epoch)
                        : LengthBucketedBatches.ForEpoch(lengths, options.GlobalBatchSize, options.LengthBucketBatches, options.Seed, epoch);
                    loadedEpoch = epoch;
                }
                var batch = batches[step % stepsPerEpoch];
                lastBatch = batch;

                // The generator state at the start of this step is the one a checkpoint of the previous step resumes with.
                using var rngAtStart = get_rng_state();
                var saveVerified = pending is { } due
                    ? () => Save(objective, due.Step, totalSteps, stepsPerEpoch, due.TrainedTokens, due.LastLoss, optimizer, rngAtStart)
                    : (Action?)null;
                if (RunStep(objective, optimizer, schedule, batch, step, totalSteps, stepsPerEpoch, saveVerified) is not { } outcome)
                {
                    continue; // skipped (NonFiniteStepAction.Skip): the pending checkpoint waits for a step that verifies it
                }
                var (loss, record, tokens) = outcome;
                pending = null;
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
                    pending = (step + 1, trainedTokens, lastLoss);
                }
            }
            using var rngAtEnd = get_rng_state();
            if (lastBatch is not null)
            {
                VerifyFinalWeights(objective, optimizer, lastBatch, totalSteps);
            }
            Save(objective, totalSteps, totalSteps, stepsPerEpoch, trainedTokens, lastLoss, optimizer, rngAtEnd);
        }
        finally
        {
            model.Eval();
            model.Module.Decoder.CheckpointLayers = false;
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

    // One global batch; null when the step was skipped for a non-finite value. saveVerified writes the previous step's
    // pending checkpoint: called once this step's loss and gradient norm are found finite, before the optimizer steps.
    private (double Loss, TrainingProgress Record, long TrainedTokens)? RunStep(
        ITrainingObjective objective, MixedPrecisionAdamW optimizer, ILearningRateSchedule schedule, int[] batch, int step, int totalSteps, int stepsPerEpoch,
        Action? saveVerified)
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
            saveVerified?.Invoke();
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
        catch (NonFiniteTrainingException exception)
        {
            optimizer.ZeroGradients();
            if (options.NonFiniteSteps == NonFiniteStepAction.Skip)
            {
                logger.LogWarning("Step {Step} skipped: the {Quantity} is {Value}; no update was applied.", step + 1, exception.Quantity, exception.Value);
                return null;
            }
            throw Stopped(exception);
        }
    }

    // Stop: the weights in memory are those the failing step found broken (or the step before made so), so the model
    // goes back to the last checkpoint, which holds weights a later step found finite.
    private NonFiniteTrainingException Stopped(NonFiniteTrainingException exception)
    {
        if (_lastCheckpoint is not null)
        {
            LoadWeights(_lastCheckpoint);
        }
        logger.LogError(
            "Training stopped at step {Step}: the {Quantity} is {Value}. The model {Restored}.",
            exception.Step, exception.Quantity, exception.Value,
            _lastCheckpoint is null ? "keeps its current weights (no checkpoint was written)" : $"was put back to the last checkpoint, {_lastCheckpoint}");
        return exception;
    }

    private void LoadWeights(string folder)
    {
        if (adapters is not null)
        {
            adapters.LoadWeights(folder);
        }
        else
        {
            LlamaCheckpoint.Load(folder, model.Module);
        }
    }

    // No later step verifies the last one, so its weights get one more forward and backward pass, on the first
    // micro-batch of the last batch, before the final checkpoint is written (a step's worth of work divided by the
    // micro-batches per step, once per run).
    private void VerifyFinalWeights(ITrainingObjective objective, MixedPrecisionAdamW optimizer, int[] lastBatch, int totalSteps)
    {
        try
        {
            var micro = lastBatch.Take(options.MicroBatchSize).ToArray();
            _ = objective.Run(micro, objective.Normalizer(micro), totalSteps);
            optimizer.CollectGradients();
            double gradNorm = optimizer.GradientNorm();
            if (!double.IsFinite(gradNorm))
            {
                throw new NonFiniteTrainingException(totalSteps, "gradient norm after the last step", gradNorm);
            }
        }
        catch (NonFiniteTrainingException exception) when (!exception.Quantity.EndsWith("after the last step", StringComparison.Ordinal))
        {
            throw Stopped(new NonFiniteTrainingException(totalSteps, exception.Quantity + " after the last step", exception.Value));
        }
        catch (NonFiniteTrainingException exception)
        {
            throw Stopped(exception);
        }
        finally
        {
            optimizer.ZeroGradients();
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
        LoadWeights(folder);
        optimizer.Load(Path.Combine(folder, TrainerCheckpoints.OptimizerFileName));
        using var rng = tensor(Convert.FromBase64String(state.RngState), ScalarType.Byte);
        set_rng_state(rng);
        (_lastCheckpoint, _lastCheckpointStep) = (folder, state.GlobalStep);
        return state;
    }

    private void Save(
        ITrainingObjective objective, int globalStep, int totalSteps, int stepsPerEpoch, long trainedTokens, double lastLoss, MixedPrecisionAdamW optimizer, Tensor? rngState)
    {
        if (outputDirectory is null || globalStep == _lastCheckpointStep)
        {
            return;
        }
        using var rng = rngState is null ? get_rng_state() : rngState.clone();
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
