using System.Globalization;

namespace Srt.Datasets;

/// <summary>
/// Settings of the TRL training configs <see cref="RunDirectoryExport.ExportStageOneForTrl"/> and
/// <see cref="RunDirectoryExport.ExportStageTwoForTrl"/> write. The defaults are the paper's (Hu et al. 2024):
/// stage 1 full fine-tuning for 5 epochs at peak learning rate 1e-5, cosine schedule, 10% warm-up, global batch 32,
/// sequences up to 8,192 tokens; stage 2 DPO with β = 0.01 at 5e-7 for 1 epoch.
/// </summary>
public sealed class TrlExportOptions
{
    /// <summary>
    /// Gets or sets the model TRL trains: a Hugging Face hub id or a folder on the training machine. For stage 2 this
    /// is the stage-1 model (the <c>output_dir</c> of the stage-1 run, or where it was copied).
    /// </summary>
    /// <value>The default is <see langword="null"/>; it must be set.</value>
    public string? ModelNameOrPath { get; set; }

    /// <summary>Gets or sets the folder TRL writes checkpoints and the final model to, relative to the export folder unless rooted.</summary>
    /// <value>The default is <see langword="null"/>: <c>output</c> in the export folder.</value>
    public string? OutputDirectory { get; set; }

    /// <summary>Gets or sets the Accelerate profile written to <c>accelerate.yaml</c>.</summary>
    /// <value>The default is <see cref="AccelerateProfile.MultiGpu"/>.</value>
    public AccelerateProfile Profile { get; set; } = AccelerateProfile.MultiGpu;

    /// <summary>Gets or sets the number of GPUs (Accelerate processes); 1 for <see cref="AccelerateProfile.SingleGpu"/>.</summary>
    /// <value>The default is 8.</value>
    public int GpuCount { get; set; } = 8;

    /// <summary>Gets or sets the sequences per GPU per forward pass; gradient accumulation makes up the rest of the global batch.</summary>
    /// <value>The default is 1 (sequences of up to 8,192 tokens, full fine-tuning).</value>
    public int PerDeviceBatchSize { get; set; } = 1;

    /// <summary>Gets or sets the sequences per optimizer step over all GPUs: per-device batch × gradient accumulation × GPUs.</summary>
    /// <value>The default is 32 (paper).</value>
    public int GlobalBatchSize { get; set; } = 32;

    /// <summary>Gets or sets the longest tokenized sequence (TRL's <c>max_length</c>); longer ones are truncated.</summary>
    /// <value>The default is 8,192 (paper).</value>
    public int MaxLength { get; set; } = 8192;

    /// <summary>Gets or sets the stage-1 epochs.</summary>
    /// <value>The default is 5 (paper).</value>
    public double StageOneEpochs { get; set; } = 5;

    /// <summary>Gets or sets the stage-1 peak learning rate.</summary>
    /// <value>The default is 1e-5 (paper).</value>
    public double StageOneLearningRate { get; set; } = 1e-5;

    /// <summary>Gets or sets the share of steps spent warming up linearly to the peak learning rate, both stages.</summary>
    /// <value>The default is 0.1 (paper, stage 1).</value>
    public double WarmupRatio { get; set; } = 0.1;

    /// <summary>Gets or sets the DPO temperature β of stage 2.</summary>
    /// <value>The default is 0.01 (paper).</value>
    public double StageTwoBeta { get; set; } = 0.01;

    /// <summary>Gets or sets the stage-2 peak learning rate.</summary>
    /// <value>The default is 5e-7 (paper).</value>
    public double StageTwoLearningRate { get; set; } = 5e-7;

    /// <summary>Gets or sets the stage-2 epochs.</summary>
    /// <value>The default is 1 (paper).</value>
    public double StageTwoEpochs { get; set; } = 1;

    /// <summary>Gets or sets the training seed.</summary>
    /// <value>The default is 42 (as the in-process trainer and TRL).</value>
    public int Seed { get; set; } = 42;

    /// <summary>Gets the gradient accumulation steps: global batch / (per-device batch × GPUs).</summary>
    public int GradientAccumulationSteps => GlobalBatchSize / (PerDeviceBatchSize * Processes);

    /// <summary>Gets the number of Accelerate processes the profile launches.</summary>
    internal int Processes => Profile == AccelerateProfile.SingleGpu ? 1 : GpuCount;

    /// <summary>Checks the settings, naming the first bad one.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelNameOrPath))
        {
            throw new ArgumentException($"{nameof(TrlExportOptions)}.{nameof(ModelNameOrPath)} must name the model to train (hub id or folder).", nameof(ModelNameOrPath));
        }

        if (OutputDirectory is not null && string.IsNullOrWhiteSpace(OutputDirectory))
        {
            throw new ArgumentException($"{nameof(TrlExportOptions)}.{nameof(OutputDirectory)} must be null (the default) or name a folder.", nameof(OutputDirectory));
        }

        if (!Enum.IsDefined(Profile))
        {
            throw new ArgumentOutOfRangeException(nameof(Profile), Profile, "Unknown Accelerate profile.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(GpuCount, 1, nameof(GpuCount));
        if (Profile == AccelerateProfile.SingleGpu && GpuCount != 1)
        {
            throw new ArgumentException($"{nameof(TrlExportOptions)}.{nameof(GpuCount)} is {GpuCount}, but the {nameof(AccelerateProfile.SingleGpu)} profile runs one process; set it to 1.", nameof(GpuCount));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(PerDeviceBatchSize, 1, nameof(PerDeviceBatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(GlobalBatchSize, 1, nameof(GlobalBatchSize));
        if (GlobalBatchSize % (PerDeviceBatchSize * Processes) != 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{nameof(TrlExportOptions)}.{nameof(GlobalBatchSize)} {GlobalBatchSize} is not a multiple of per-device batch {PerDeviceBatchSize} × {Processes} GPU(s); TRL's global batch is per-device batch × gradient accumulation × GPUs."),
                nameof(GlobalBatchSize));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLength, 1, nameof(MaxLength));
        RequirePositive(StageOneEpochs, nameof(StageOneEpochs));
        RequirePositive(StageOneLearningRate, nameof(StageOneLearningRate));
        RequirePositive(StageTwoBeta, nameof(StageTwoBeta));
        RequirePositive(StageTwoLearningRate, nameof(StageTwoLearningRate));
        RequirePositive(StageTwoEpochs, nameof(StageTwoEpochs));
        if (!double.IsFinite(WarmupRatio) || WarmupRatio < 0 || WarmupRatio >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(WarmupRatio), WarmupRatio, "The warm-up ratio must be in [0, 1).");
        }
    }

    private static void RequirePositive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be a finite number > 0.");
        }
    }
}
