using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;

namespace Srt.TorchSharp.Training;

/// <summary>
/// Trains a TorchSharp causal LM on what the self-refinement loop produces: supervised fine-tuning on masked
/// sequences (stage 1, <see cref="SupervisedOptions"/>) and DPO on preference pairs (stage 2, <see cref="PreferenceOptions"/>),
/// with full fine-tuning or LoRA, mixed precision, checkpoints and exact resume. See docs/training.md.
/// </summary>
/// <remarks>
/// Tensor work runs synchronously on a dedicated thread per call; one run at a time. The trainer updates the model
/// in place and never disposes it. LoRA adapters it attaches stay on the model after a run (<see cref="Adapters"/>),
/// so generation with the same model sees them; a later run of another kind merges them into the base weights first.
/// As an <see cref="ITrainedStateRestorer"/> (through <see cref="GetService"/>) it loads a finished run's checkpoint
/// back into the model, adapters included, the way the run left it.
/// </remarks>
public sealed class TorchSharpTrainer : ITrainer, ITrainedStateRestorer
{
    private readonly ModelTokenizer _tokenizer;
    private readonly IChatTemplate _chatTemplate;
    private readonly ILogger _logger;
    private bool _warnedLowPrecisionCpu;
    private readonly CausalLanguageModel? _bundle;
    private string? _adaptersRun;
    private int _running;

    /// <summary>Creates a trainer for <paramref name="model"/>.</summary>
    /// <param name="model">The model to train in place.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="chatTemplate">The chat format prompts are rendered with.</param>
    /// <param name="supervisedOptions">Settings for <see cref="TrainSupervisedAsync"/>; the paper's stage 1 when null.</param>
    /// <param name="preferenceOptions">Settings for <see cref="TrainPreferenceAsync"/>; the paper's stage 2 when null.</param>
    /// <param name="loggerFactory">Creates the logger that receives per-step metrics and checkpoint notices; none when null.</param>
    public TorchSharpTrainer(
        LlamaForCausalLM model, ModelTokenizer tokenizer, IChatTemplate chatTemplate,
        SupervisedTrainerOptions? supervisedOptions = null, PreferenceTrainerOptions? preferenceOptions = null, ILoggerFactory? loggerFactory = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _chatTemplate = chatTemplate ?? throw new ArgumentNullException(nameof(chatTemplate));
        SupervisedOptions = supervisedOptions ?? new SupervisedTrainerOptions();
        PreferenceOptions = preferenceOptions ?? new PreferenceTrainerOptions();
        SupervisedOptions.Validate();
        PreferenceOptions.Validate();
        _logger = loggerFactory?.CreateLogger<TorchSharpTrainer>() ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Creates a trainer for a loaded model bundle. Runs take the bundle's lock
    /// (<see cref="CausalLanguageModel.RunExclusiveAsync{T}"/>), so generation and training never overlap, and saved
    /// adapters record <see cref="CausalLanguageModel.ModelId"/> as their base model.</summary>
    /// <param name="model">The model, tokenizer and chat template.</param>
    /// <param name="supervisedOptions">Settings for <see cref="TrainSupervisedAsync"/>; the paper's stage 1 when null.</param>
    /// <param name="preferenceOptions">Settings for <see cref="TrainPreferenceAsync"/>; the paper's stage 2 when null.</param>
    /// <param name="loggerFactory">Creates the logger that receives per-step metrics and checkpoint notices; none when null.</param>
    public TorchSharpTrainer(
        CausalLanguageModel model, SupervisedTrainerOptions? supervisedOptions = null, PreferenceTrainerOptions? preferenceOptions = null,
        ILoggerFactory? loggerFactory = null)
        : this((model ?? throw new ArgumentNullException(nameof(model))).Model, model.Tokenizer, model.ChatTemplate, supervisedOptions, preferenceOptions, loggerFactory)
    {
        _bundle = model;
        BaseModelNameOrPath = model.ModelId;
    }

    /// <summary>Gets the model being trained.</summary>
    public LlamaForCausalLM Model { get; }

    /// <summary>Gets the settings of supervised runs (stage 1).</summary>
    public SupervisedTrainerOptions SupervisedOptions { get; }

    /// <summary>Gets the settings of preference runs (stage 2).</summary>
    public PreferenceTrainerOptions PreferenceOptions { get; }

    /// <summary>Gets the LoRA adapters the last LoRA run attached, or null.</summary>
    public LoraAdapters? Adapters { get; private set; }

    /// <summary>Gets or sets the name recorded as <c>base_model_name_or_path</c> in saved adapters.</summary>
    public string? BaseModelNameOrPath { get; set; }

    /// <inheritdoc />
    public Task<TrainingResult> TrainSupervisedAsync(
        SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RunExclusive(() => TrainSupervised(request, progress, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public Task<TrainingResult> TrainPreferenceAsync(
        PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RunExclusive(() => TrainPreference(request, progress, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Loads a checkpoint this trainer wrote (<c>checkpoint-{step}</c> with its <c>trainer_state.json</c>) into the model:
    /// the whole model for full fine-tuning; for LoRA, adapters attached as the run attached them (adapters of another
    /// run merged into the base first, as a new run does) with the checkpoint's weights. Restore stage 1 before stage 2:
    /// a LoRA stage-2 checkpoint holds only its own adapters.
    /// </summary>
    /// <param name="checkpointDirectory">The checkpoint folder, as <see cref="TrainingResult.CheckpointDirectory"/> named it.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the model holds the checkpoint's weights.</returns>
    /// <exception cref="InvalidDataException">The folder holds no checkpoint this trainer can read.</exception>
    /// <exception cref="InvalidOperationException">The checkpoint holds LoRA adapters but the options of its kind have no <see cref="TorchSharpTrainerOptions.Lora"/>.</exception>
    public Task RestoreAsync(string checkpointDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointDirectory);
        return RunExclusive(() => Restore(checkpointDirectory), cancellationToken);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }
        return serviceType.IsInstanceOfType(this) ? this
            : serviceType.IsInstanceOfType(Model) ? Model
            : Adapters is not null && serviceType.IsInstanceOfType(Adapters) ? Adapters
            : null;
    }

    private Task<T> RunExclusive<T>(Func<T> run, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException("A training run is already in progress on this trainer.");
        }
        return RunOnDedicatedThreadAsync(run, cancellationToken);
    }

    private async Task<T> RunOnDedicatedThreadAsync<T>(Func<T> run, CancellationToken cancellationToken)
    {
        try
        {
            // A dedicated thread: dispose scopes and no_grad are per thread, and the whole run is synchronous tensor
            // work. With a bundle, its lock keeps generation off the model meanwhile.
            return _bundle is not null
                ? await _bundle.RunExclusiveAsync(run, cancellationToken).ConfigureAwait(false)
                : await Task.Factory.StartNew(run, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    // Returns a value only because the exclusive runner takes a function.
    private bool Restore(string folder)
    {
        var state = TrainerState.TryRead(folder)
            ?? throw new InvalidDataException($"{folder}: no readable {TrainerState.FileName}; it is not a checkpoint of a {nameof(TorchSharpTrainer)} run.");
        TorchSharpTrainerOptions options = state.Kind == "dpo" ? PreferenceOptions : SupervisedOptions;
        if (state.IsLora)
        {
            if (options.Lora is null)
            {
                throw new InvalidOperationException(
                    $"{folder} holds LoRA adapters of a {state.Kind} run, but this trainer's {(state.Kind == "dpo" ? nameof(PreferenceOptions) : nameof(SupervisedOptions))} have no Lora settings to attach them with.");
            }
            var adapters = PrepareAdapters(options, state.Kind + ":" + state.Name)!;
            adapters.LoadWeights(folder);
            adapters.IsTraining = false;
        }
        else
        {
            // A full checkpoint holds every weight: adapters left by an earlier run are already in it.
            if (Adapters is not null)
            {
                Adapters.MergeAndDispose(Model);
                Adapters = null;
            }
            LlamaCheckpoint.Load(folder, Model.Module);
        }
        Model.Eval();
        _logger.LogInformation("Restored the {Kind} run '{Name}' at step {Step} from {Checkpoint}.", state.Kind, state.Name, state.GlobalStep, folder);
        return true;
    }

    private TrainingResult TrainSupervised(SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var options = SupervisedOptions;
        options.Validate();
        global::TorchSharp.torch.set_num_threads(options.Threads);
        WarnIfLowPrecisionOnSlowCpu();
        var encoder = new TrainingSequenceEncoder(_tokenizer, _chatTemplate, options.MaxSequenceLength);
        var sequences = new List<TrainingSequence>();
        int truncated = 0, dropped = 0;
        foreach (var example in request.Examples)
        {
            var sequence = encoder.Encode(example, out bool wasTruncated);
            truncated += wasTruncated || sequence is null ? 1 : 0;
            if (sequence is null)
            {
                dropped++;
                continue;
            }
            sequences.Add(sequence);
        }
        ReportTruncation(request.Examples.Count, truncated, dropped, options.MaxSequenceLength);
        TrainingMemoryCheck.Run(Model, options, sequences.Max(s => s.Length), _logger);
        var adapters = PrepareAdapters(options, "sft:" + request.Name);
        using var objective = new SupervisedObjective(Model, sequences, options.Loss, PackingSettings.From(options));
        return new TrainingSession(Model, adapters, options, request.Name, request.OutputDirectory, BaseModelNameOrPath, _logger, progress)
            .Run(objective, truncated, cancellationToken);
    }

    private TrainingResult TrainPreference(PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var options = PreferenceOptions;
        options.Validate();
        global::TorchSharp.torch.set_num_threads(options.Threads);
        WarnIfLowPrecisionOnSlowCpu();
        var duplicate = request.Pairs.GroupBy(p => p.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Preference pair id '{duplicate.Key}' occurs {duplicate.Count()} times; ids key the reference cache and must be unique.", nameof(request));
        }
        var encoder = new TrainingSequenceEncoder(_tokenizer, _chatTemplate, options.MaxSequenceLength, options.DpoScoresEndOfTurn);
        var pairs = new List<(TrainingSequence, TrainingSequence)>();
        int truncated = 0, dropped = 0;
        foreach (var pair in request.Pairs)
        {
            var encoded = encoder.Encode(pair, out bool wasTruncated);
            truncated += wasTruncated || encoded is null ? 1 : 0;
            if (encoded is not { } value)
            {
                dropped++;
                continue;
            }
            pairs.Add(value);
        }
        ReportTruncation(request.Pairs.Count, truncated, dropped, options.MaxSequenceLength);
        TrainingMemoryCheck.Run(Model, options, pairs.Max(p => Math.Max(p.Item1.Length, p.Item2.Length)), _logger);
        var adapters = PrepareAdapters(options, "dpo:" + request.Name);
        // The reference is built before the session restores a checkpoint: it must see the starting model.
        var reference = ReferenceLogProbs.Create(Model, adapters, pairs, options, request.OutputDirectory, _logger);
        using var objective = new PreferenceObjective(Model, pairs, reference, options);
        return new TrainingSession(Model, adapters, options, request.Name, request.OutputDirectory, BaseModelNameOrPath, _logger, progress)
            .Run(objective, truncated, cancellationToken);
    }

    // libtorch's CPU matmuls in bf16 need AVX-512 BF16, AMX or Arm BF16; in float16 a reference loop runs them on
    // every CPU measured so far. Either way the backward pass is hundreds of times slower than in float32.
    private void WarnIfLowPrecisionOnSlowCpu()
    {
        bool slow = Model.Device.type == global::TorchSharp.DeviceType.CPU && Model.DType switch
        {
            global::TorchSharp.torch.ScalarType.BFloat16 => CpuLowPrecisionSupport.HasNativeBFloat16 == false,
            global::TorchSharp.torch.ScalarType.Float16 => true,
            _ => false,
        };
        if (!slow || _warnedLowPrecisionCpu)
        {
            return;
        }

        _warnedLowPrecisionCpu = true;
        _logger.LogWarning(
            "The model is {DType} on a CPU without native matmuls in that dtype (bf16 needs AVX-512 BF16, AMX or Arm BF16): libtorch runs them through a reference loop, hundreds of times slower than float32 in the backward pass. Load the model as float32 (ModelLoadOptions.DType) to train on this CPU.",
            Model.DType);
    }

    private void ReportTruncation(int total, int truncated, int dropped, int maxLength)
    {
        if (truncated > 0)
        {
            _logger.LogWarning(
                "{Truncated} of {Total} examples exceed {MaxLength} tokens and were cut from the right; {Dropped} of them kept no trained token and were dropped.",
                truncated, total, maxLength, dropped);
        }
        if (total - dropped == 0)
        {
            throw new InvalidOperationException($"No example is left to train on ({total} given, {dropped} dropped by the {maxLength}-token limit).");
        }
    }

    // LoRA runs get fresh adapters (seeded). Adapters left by a run of another kind or name are merged into the base
    // first (stage 2 then trains on top of the stage-1 model, its reference); a retry of the same run starts them afresh
    // (its checkpoint, if any, restores them).
    private LoraAdapters? PrepareAdapters(TorchSharpTrainerOptions options, string run)
    {
        if (Adapters is not null)
        {
            if (options.Lora is not null && _adaptersRun == run)
            {
                Adapters.Dispose();
                foreach (var parameter in Model.Parameters())
                {
                    parameter.requires_grad_(true);
                }
            }
            else
            {
                Adapters.MergeAndDispose(Model);
            }
            Adapters = null;
        }
        if (options.Lora is null)
        {
            return null;
        }
        Adapters = LoraAdapters.Attach(Model, options.Lora, options.Seed);
        _adaptersRun = run;
        return Adapters;
    }
}
