using Srt.TorchSharp.Kernels;

namespace Srt.TorchSharp.Training;

/// <summary>
/// The settings both kinds of training run share: optimizer, schedule, batching, checkpoints, memory. A run takes the
/// settings of its own kind, <see cref="SupervisedTrainerOptions"/> (stage 1) or <see cref="PreferenceTrainerOptions"/>
/// (stage 2, DPO), as TRL's <c>SFTConfig</c> and <c>DPOConfig</c> share Hugging Face's <c>TrainingArguments</c>;
/// each holds the paper's values for its stage (Hu et al. 2024) as defaults.
/// </summary>
/// <remarks>Only this assembly derives from this class: a run of one kind cannot be handed the other kind's settings.</remarks>
public abstract class TorchSharpTrainerOptions
{
    private protected TorchSharpTrainerOptions()
    {
    }

    /// <summary>Gets or sets the peak learning rate (after warm-up; cosine decay to 0 at the last step).</summary>
    /// <value>The default is the paper's for the run's stage: 1e-5 (stage 1) or 5e-7 (stage 2).</value>
    public abstract double LearningRate { get; set; }

    /// <summary>Gets or sets the number of passes over the data.</summary>
    /// <value>The default is the paper's for the run's stage: 5 (stage 1) or 1 (stage 2).</value>
    public abstract int Epochs { get; set; }

    /// <summary>Gets or sets the examples (or pairs) per optimizer step; gradients of micro-batches accumulate to it.</summary>
    /// <value>The default is 32 (the paper's global batch).</value>
    public int GlobalBatchSize { get; set; } = 32;

    /// <summary>Gets or sets the examples per forward/backward pass (DPO runs chosen and rejected together, twice the rows).
    /// Must divide <see cref="GlobalBatchSize"/>.</summary>
    /// <value>The default is 4 (Srt's choice; the paper states only the global batch).</value>
    public int MicroBatchSize { get; set; } = 4;

    /// <summary>Gets or sets the fraction of steps with linear warm-up from 0 (rounded up to whole steps).</summary>
    /// <value>The default is 0.1 (the paper's).</value>
    public double WarmupRatio { get; set; } = 0.1;

    /// <summary>Gets or sets AdamW's decoupled weight decay.</summary>
    /// <value>The default is 0 (the paper names none; Hugging Face's <c>TrainingArguments</c> default).</value>
    public double WeightDecay { get; set; }

    /// <summary>Gets or sets AdamW's β1.</summary>
    /// <value>The default is 0.9 (Hugging Face's and torch.optim.AdamW's default).</value>
    public double AdamBeta1 { get; set; } = 0.9;

    /// <summary>Gets or sets AdamW's β2.</summary>
    /// <value>The default is 0.999 (Hugging Face's and torch.optim.AdamW's default).</value>
    public double AdamBeta2 { get; set; } = 0.999;

    /// <summary>Gets or sets AdamW's ε.</summary>
    /// <value>The default is 1e-8 (Hugging Face's and torch.optim.AdamW's default).</value>
    public double AdamEpsilon { get; set; } = 1e-8;

    /// <summary>Gets or sets the global gradient-norm clip; 0 turns clipping off.</summary>
    /// <value>The default is 1.0 (Hugging Face's <c>max_grad_norm</c> default).</value>
    public double MaxGradNorm { get; set; } = 1.0;

    /// <summary>Gets or sets the longest sequence in tokens; longer ones are cut from the right (reported).</summary>
    /// <value>The default is 8,192 (the paper's).</value>
    public int MaxSequenceLength { get; set; } = 8192;

    /// <summary>Gets or sets the seed of the shuffle, the LoRA initialisation and dropout.</summary>
    /// <value>The default is 42 (Hugging Face's <c>seed</c> default).</value>
    public int Seed { get; set; } = 42;

    /// <summary>Gets or sets how many global batches form one length bucket: each epoch's shuffled order is cut into
    /// buckets, sorted by length inside each, then cut into batches whose order is shuffled again. 1 sorts only
    /// within a batch (so micro-batches hold similar lengths).</summary>
    /// <value>The default is 8 (Srt's choice).</value>
    public int LengthBucketBatches { get; set; } = 8;

    /// <summary>Gets or sets how the loss and sequence log-probs are computed: the chunked fused path that never
    /// holds tokens × vocab logits, or the plain one.</summary>
    /// <value>The default is <see cref="LossImplementation.Fused"/> (same loss, far less memory; docs/kernels.md).</value>
    public LossImplementation Loss { get; set; } = LossImplementation.Fused;

    /// <summary>Gets or sets LoRA settings; null trains all parameters (the paper's full fine-tuning).</summary>
    /// <value>The default is null (the paper's full fine-tuning).</value>
    public LoraOptions? Lora { get; set; }

    /// <summary>Gets or sets how often (in optimizer steps) a checkpoint is written; one is always written at the end.
    /// 0 writes only the final one. Needs an output directory.</summary>
    /// <value>The default is 500 (Hugging Face's <c>save_steps</c> default).</value>
    public int SaveSteps { get; set; } = 500;

    /// <summary>Gets or sets how many step checkpoints to keep (older ones are deleted after a new one is complete).</summary>
    /// <value>The default is 2 (Srt's choice: a full 7B checkpoint is tens of GB; Hugging Face keeps all by default).</value>
    public int SaveTotalLimit { get; set; } = 2;

    /// <summary>Gets or sets whether a run continues from the latest checkpoint in its output directory.</summary>
    /// <value>The default is <see langword="true"/> (Srt's choice: a rerun of the loop continues where it stopped).</value>
    public bool ResumeFromCheckpoint { get; set; } = true;

    /// <summary>Gets or sets what a step whose loss or gradient norm is NaN or infinite does: stop (the model goes back to
    /// the last checkpoint) or skip the batch. The check runs before the optimizer steps, and a checkpoint is written
    /// only once the next step has found its weights finite, so the last checkpoint never holds weights that failed.</summary>
    /// <value>The default is <see cref="NonFiniteStepAction.Stop"/> (a diverged run stops, as PyTorch and Megatron users expect).</value>
    public NonFiniteStepAction NonFiniteSteps { get; set; } = NonFiniteStepAction.Stop;

    /// <summary>Gets or sets the number of torch intra-op threads set before training (process-wide).</summary>
    /// <value>The default is <see cref="Environment.ProcessorCount"/> (libtorch's own default can be 1 thread).</value>
    public int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>Gets or sets how often (in steps) metrics are logged through ILogger; progress and metrics.jsonl get every step.</summary>
    /// <value>The default is 1 (every step; Srt's choice, where Hugging Face logs every 500).</value>
    public int LoggingSteps { get; set; } = 1;

    /// <summary>
    /// Gets or sets whether activation checkpointing (Hugging Face's <c>gradient_checkpointing</c>) is on: each decoder
    /// layer keeps only its input during the forward pass and is recomputed during backward. Activation memory falls
    /// from every layer's intermediates to one hidden-state tensor per layer plus one layer's intermediates, for about
    /// one more forward pass of compute per step. It applies to the policy's passes only; the DPO reference runs
    /// without gradients and never checkpoints. Results are the same either way (gradients agree to float rounding).
    /// </summary>
    /// <value>The default is <see langword="true"/>, as TRL's SFTConfig and DPOConfig: the paper trains full models
    /// at 8,192 tokens, where activations, not weights, decide whether a step fits on one GPU.
    /// <see cref="TrainingMemoryPlan"/> shows what turning it off would cost.</value>
    public bool GradientCheckpointing { get; set; } = true;

    /// <summary>
    /// Gets or sets the free memory, in bytes, that the run's <see cref="TrainingMemoryPlan"/> is checked against
    /// before the first step, instead of what the device reports (free CUDA memory; MemAvailable on the CPU). A run
    /// whose plan needs more stops with a <see cref="TrainingMemoryException"/> that names the options that would fit.
    /// <see cref="long.MaxValue"/> turns the check off (the plan is still logged).
    /// </summary>
    /// <value>The default is <see langword="null"/> (ask the device).</value>
    public long? MemoryBudgetBytes { get; set; }

    /// <summary>Gets or sets how a micro-batch's sequences are laid out: packed back to back into rows of at most
    /// <see cref="MaxSequenceLength"/> tokens (positions restart at each sequence and attention stays inside it, so the
    /// loss and gradients equal those of the unpacked sequences), or one padded row each, ordered in length buckets.
    /// Packing changes only the layout: <see cref="MicroBatchSize"/> still counts sequences (pairs for DPO).</summary>
    /// <value>The default is <see cref="BatchLayout.Packed"/> (measured faster on a long-tailed mix of lengths; see docs/benchmarks.md).</value>
    public BatchLayout BatchLayout { get; set; } = BatchLayout.Packed;

    /// <summary>Gets or sets the shape of the learning rate after warm-up: cosine decay to 0 at the last step (the
    /// paper's), or constant at <see cref="LearningRate"/> (Hugging Face's <c>constant_with_warmup</c>; with
    /// <see cref="WarmupRatio"/> 0, <c>constant</c>). Both warm up linearly from 0 over <see cref="WarmupRatio"/>.</summary>
    /// <value>The default is <see cref="LearningRateSchedule.Cosine"/> (the paper's).</value>
    public LearningRateSchedule LearningRateSchedule { get; set; } = LearningRateSchedule.Cosine;

    /// <summary>Gets or sets a value indicating whether <see cref="WeightDecay"/> skips biases and normalization weights
    /// (RMSNorm/LayerNorm, including q/k norms), as Hugging Face's Trainer does; <see langword="false"/> decays every
    /// trained parameter.</summary>
    /// <value>The default is <see langword="true"/> (as Hugging Face's Trainer).</value>
    public bool WeightDecayExcludesBiasAndNorm { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether packed rows attend through the block-diagonal causal mask over
    /// the whole row instead of one sequence at a time (same values; kept to measure the two against each other).</summary>
    internal bool PackedAttentionThroughMask { get; set; }

    /// <summary>Gets the kind of run these settings are for.</summary>
    internal abstract TrainingKind Kind { get; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the type and the option.</exception>
    public void Validate()
    {
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be positive");
        Require(Epochs >= 1, nameof(Epochs), Epochs, "must be at least 1");
        Require(GlobalBatchSize >= 1, nameof(GlobalBatchSize), GlobalBatchSize, "must be at least 1");
        Require(MicroBatchSize >= 1 && GlobalBatchSize % MicroBatchSize == 0, nameof(MicroBatchSize), MicroBatchSize,
            $"must be at least 1 and divide GlobalBatchSize ({GlobalBatchSize})");
        Require(WarmupRatio is >= 0 and <= 1, nameof(WarmupRatio), WarmupRatio, "must be in [0, 1]");
        Require(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must not be negative");
        Require(AdamBeta1 is >= 0 and < 1, nameof(AdamBeta1), AdamBeta1, "must be in [0, 1)");
        Require(AdamBeta2 is >= 0 and < 1, nameof(AdamBeta2), AdamBeta2, "must be in [0, 1)");
        Require(AdamEpsilon > 0, nameof(AdamEpsilon), AdamEpsilon, "must be positive");
        Require(MaxGradNorm >= 0, nameof(MaxGradNorm), MaxGradNorm, "must not be negative");
        Require(MaxSequenceLength >= 2, nameof(MaxSequenceLength), MaxSequenceLength, "must be at least 2");
        Require(LengthBucketBatches >= 1, nameof(LengthBucketBatches), LengthBucketBatches, "must be at least 1");
        Require(Enum.IsDefined(Loss), nameof(Loss), Loss, "is not a known loss implementation");
        Require(SaveSteps >= 0, nameof(SaveSteps), SaveSteps, "must not be negative");
        Require(SaveTotalLimit >= 1, nameof(SaveTotalLimit), SaveTotalLimit, "must be at least 1");
        Require(Threads >= 1, nameof(Threads), Threads, "must be at least 1");
        Require(LoggingSteps >= 1, nameof(LoggingSteps), LoggingSteps, "must be at least 1");
        Require(Enum.IsDefined(NonFiniteSteps), nameof(NonFiniteSteps), NonFiniteSteps, "must be Stop or Skip");
        Require(MemoryBudgetBytes is null or > 0, nameof(MemoryBudgetBytes), MemoryBudgetBytes!, "must be positive when set");
        Require(Enum.IsDefined(BatchLayout), nameof(BatchLayout), BatchLayout, "must be Packed or LengthBuckets");
        Require(Enum.IsDefined(LearningRateSchedule), nameof(LearningRateSchedule), LearningRateSchedule, "must be Cosine or ConstantWithWarmup");
        ValidateKind();
        Lora?.Validate();
    }

    /// <summary>A copy with every setting, for plans of what-if changes.</summary>
    /// <returns>A new instance of the same type.</returns>
    internal TorchSharpTrainerOptions Copy() => (TorchSharpTrainerOptions)MemberwiseClone();

    /// <summary>Checks the settings only this kind of run has.</summary>
    private protected abstract void ValidateKind();

    /// <summary>Throws when <paramref name="condition"/> is false, naming the type and the option.</summary>
    private protected void Require(bool condition, string name, object value, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"{GetType().Name}.{name} {rule} (got {value}).", name);
        }
    }
}
