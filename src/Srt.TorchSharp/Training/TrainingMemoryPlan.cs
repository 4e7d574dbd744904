using System.Globalization;
using System.Text;
using Srt.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>
/// An estimate of a training run's peak memory, made from the model config, the trainer options and the longest
/// sequence before any step runs: weights, gradients, optimizer state (float32 master weights and accumulators for
/// low-precision parameters, as <c>MixedPrecisionAdamW</c> keeps them), a DPO reference copy, activations with and
/// without checkpointing, and the loss's chunks. The trainer logs it and stops before the first step when it does not
/// fit; it can also be computed without training (<see cref="Estimate"/>).
/// </summary>
/// <remarks>
/// The activation counts follow the tensors autograd keeps in this project's layer with composed ops (the CPU path);
/// the fused CUDA kernels keep less, so on a GPU the estimate errs high. Checked against measured peak RSS in
/// docs/benchmarks.md.
/// </remarks>
public sealed class TrainingMemoryPlan
{
    private const double GiB = 1024.0 * 1024 * 1024;

    private TrainingMemoryPlan()
    {
    }

    /// <summary>Gets the kind of run planned.</summary>
    public TrainingKind Kind { get; private init; }

    /// <summary>Gets the model dtype.</summary>
    public ScalarType DType { get; private init; }

    /// <summary>Gets the device type planned for.</summary>
    public DeviceType Device { get; private init; }

    /// <summary>Gets the rows of the largest forward pass: the micro-batch's sequences (twice the pairs for DPO) in
    /// length buckets, or the packed rows they fill at most.</summary>
    public int Rows { get; private init; }

    /// <summary>Gets the tokens per row through the model: the longest sequence less its last token in length buckets;
    /// with packing, the sequences' tokens together, at most <see cref="TorchSharpTrainerOptions.MaxSequenceLength"/>.</summary>
    public int TokensPerRow { get; private init; }

    /// <summary>Gets whether the plan has activation checkpointing on.</summary>
    public bool GradientCheckpointing { get; private init; }

    /// <summary>Gets whether only LoRA adapters train.</summary>
    public bool IsLora { get; private init; }

    /// <summary>Gets the model's parameters.</summary>
    public long Parameters { get; private init; }

    /// <summary>Gets the parameters that train (all, or the LoRA adapters').</summary>
    public long TrainableParameters { get; private init; }

    /// <summary>Gets the bytes of the model's weights (and of LoRA adapters).</summary>
    public long WeightBytes { get; private init; }

    /// <summary>Gets the bytes of the gradients of the trained parameters.</summary>
    public long GradientBytes { get; private init; }

    /// <summary>Gets the bytes of AdamW's state: two float32 moments per trained parameter, plus a float32 master copy
    /// and gradient accumulator for each one that is not float32.</summary>
    public long OptimizerStateBytes { get; private init; }

    /// <summary>Gets the bytes of a DPO reference model kept next to the policy (<see cref="DpoReference.FrozenCopy"/>), else 0.</summary>
    public long ReferenceModelBytes { get; private init; }

    /// <summary>Gets the activation bytes with checkpointing: each layer's input kept, one layer recomputed in backward.</summary>
    public long ActivationBytesWithCheckpointing { get; private init; }

    /// <summary>Gets the activation bytes without checkpointing: every layer's intermediates kept for backward.</summary>
    public long ActivationBytesWithoutCheckpointing { get; private init; }

    /// <summary>Gets the activation bytes of the planned setting.</summary>
    public long ActivationBytes => GradientCheckpointing ? ActivationBytesWithCheckpointing : ActivationBytesWithoutCheckpointing;

    /// <summary>Gets the bytes of the loss: the fused path's chunks of logits, hidden-state gradient and lm_head
    /// gradient accumulator, or the plain path's full logits.</summary>
    public long LossBytes { get; private init; }

    /// <summary>Gets the rows per chunk of the fused loss (all rows for the plain loss).</summary>
    public long LossChunkRows { get; private init; }

    /// <summary>Gets an allowance for the runtime itself: libtorch, .NET, and on a GPU the CUDA context and libraries.</summary>
    public long OverheadBytes { get; private init; }

    /// <summary>Gets the estimated peak bytes of the run.</summary>
    public long PeakBytes { get; private init; }

    /// <summary>Gets the bytes the run needs beyond what a loaded model already holds (its weights and the runtime):
    /// what must be free on the device when training starts.</summary>
    public long AdditionalBytes => PeakBytes - WeightBytes - OverheadBytes;

    /// <summary>Estimates the peak memory of a training run.</summary>
    /// <param name="config">The model architecture.</param>
    /// <param name="options">The run's settings (micro-batch, LoRA, checkpointing, loss, DPO reference); their type
    /// decides the kind of run planned: <see cref="SupervisedTrainerOptions"/> or <see cref="PreferenceTrainerOptions"/>.</param>
    /// <param name="longestSequence">The longest training sequence in tokens (at most <see cref="TorchSharpTrainerOptions.MaxSequenceLength"/>).</param>
    /// <param name="dtype">The model dtype.</param>
    /// <param name="device">The device type.</param>
    /// <returns>The plan.</returns>
    public static TrainingMemoryPlan Estimate(
        LlamaConfig config, TorchSharpTrainerOptions options, int longestSequence,
        ScalarType dtype = ScalarType.Float32, DeviceType device = DeviceType.CPU)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(longestSequence, 2);
        options.Validate();
        var kind = options.Kind;
        int e = TrainingMemoryArithmetic.ElementBytes(dtype);
        int sequences = options.MicroBatchSize * (kind == TrainingKind.Preference ? 2 : 1);
        var (rows, tokens) = PassShape(options, sequences, Math.Min(longestSequence, options.MaxSequenceLength) - 1);
        long tokenRows = (long)rows * tokens;
        long parameters = TrainingMemoryArithmetic.Parameters(config);
        var lora = options.Lora;
        long loraParameters = lora is null ? 0 : TrainingMemoryArithmetic.LoraParameters(config, lora);
        long trainable = lora is null ? parameters : loraParameters;
        int trainedBytes = lora is null ? e : sizeof(float);

        long h = config.HiddenSize;
        long layer = (TrainingMemoryArithmetic.LayerBytesPerToken(config, e, lora)
            + TrainingMemoryArithmetic.ExplicitAttentionBytesPerToken(config, e, tokens)) * tokenRows;
        long working = TrainingMemoryArithmetic.BackwardWorkingBytesPerToken(config, e) * tokenRows;
        long finalNorm = 3 * h * e * tokenRows; // the last layer's output, the final norm's normalized values and output
        long savedOff = config.NumHiddenLayers * layer + finalNorm;
        long savedOn = config.NumHiddenLayers * h * e * tokenRows + finalNorm;
        var (loss, chunkRows) = TrainingMemoryArithmetic.Loss(config, options.Loss, tokenRows, e, lmHeadTrains: lora is null, device);

        bool checkpointing = options.GradientCheckpointing;
        long saved = checkpointing ? savedOn : savedOff;
        long backward = (checkpointing ? layer : 0) + working;
        long weights = parameters * e + loraParameters * sizeof(float);
        long gradients = trainable * trainedBytes;
        long optimizer = trainable * 2 * sizeof(float) + (trainedBytes != sizeof(float) ? trainable * 2 * sizeof(float) : 0);
        long reference = options is PreferenceTrainerOptions { DpoReference: DpoReference.FrozenCopy } ? parameters * e : 0;
        long overhead = device == DeviceType.CUDA ? 1L << 30 : 512L << 20;
        return new TrainingMemoryPlan
        {
            Kind = kind,
            DType = dtype,
            Device = device,
            Rows = rows,
            TokensPerRow = tokens,
            GradientCheckpointing = checkpointing,
            IsLora = lora is not null,
            Parameters = parameters,
            TrainableParameters = trainable,
            WeightBytes = weights,
            GradientBytes = gradients,
            OptimizerStateBytes = optimizer,
            ReferenceModelBytes = reference,
            ActivationBytesWithCheckpointing = savedOn + layer + working,
            ActivationBytesWithoutCheckpointing = savedOff + working,
            LossBytes = loss,
            LossChunkRows = chunkRows,
            OverheadBytes = overhead,
            // The fused loss computes its gradients in the forward pass, when every saved activation exists; the
            // layers' backward comes after it has been freed. The peak is the larger of the two moments.
            PeakBytes = overhead + weights + gradients + optimizer + reference + saved + Math.Max(loss, backward),
        };
    }

    /// <summary>
    /// The largest pass, as rows × tokens per row, for <paramref name="sequences"/> sequences of at most
    /// <paramref name="inputTokens"/> model-input tokens. Length buckets give one row per sequence. Packing puts them
    /// all in one row when they fit; otherwise first-fit decreasing leaves no two rows that would fit together, so
    /// there are fewer than 2 × (their tokens) / capacity + 1 rows of at most the capacity each, an upper bound that
    /// can exceed the unpacked area when sequences do not divide the capacity evenly.
    /// </summary>
    private static (int Rows, int Tokens) PassShape(TorchSharpTrainerOptions options, int sequences, int inputTokens)
    {
        long total = (long)sequences * inputTokens;
        int capacity = options.MaxSequenceLength;
        if (options.BatchLayout != BatchLayout.Packed)
        {
            return (sequences, inputTokens);
        }
        if (total <= capacity)
        {
            return (1, (int)total);
        }
        int rows = (int)Math.Min(sequences, (2 * total + capacity - 1) / capacity);
        return (rows, capacity);
    }

    /// <summary>Formats a byte count as GiB with two decimals.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>For example "12.34 GiB".</returns>
    public static string FormatBytes(long bytes) => (bytes / GiB).ToString("F2", CultureInfo.InvariantCulture) + " GiB";

    /// <summary>The plan as a readable block, one item per line.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"Memory plan: {(Kind == TrainingKind.Preference ? "DPO" : "SFT")}, {DType} on {Device}, {Rows} rows x {TokensPerRow} tokens per pass, "
            + $"{(IsLora ? "LoRA" : "full fine-tuning")}, checkpointing {(GradientCheckpointing ? "on" : "off")}");
        void Line(string name, long bytes, string note = "") => text.AppendLine(inv, $"  {name,-22}{FormatBytes(bytes),12}{note}");
        Line("weights", WeightBytes, $"  ({Parameters:N0} parameters)");
        Line("gradients", GradientBytes, $"  ({TrainableParameters:N0} trained)");
        Line("optimizer state", OptimizerStateBytes, OptimizerStateBytes > 2L * sizeof(float) * TrainableParameters ? "  (AdamW moments, float32 master and accumulator)" : "  (AdamW moments)");
        if (ReferenceModelBytes > 0)
        {
            Line("DPO reference copy", ReferenceModelBytes);
        }
        Line("activations", ActivationBytes, GradientCheckpointing
            ? $"  (without checkpointing: {FormatBytes(ActivationBytesWithoutCheckpointing)})"
            : $"  (with checkpointing: {FormatBytes(ActivationBytesWithCheckpointing)})");
        Line("loss", LossBytes, LossChunkRows < (long)Rows * TokensPerRow ? $"  (fused, {LossChunkRows:N0} rows per chunk)" : "");
        Line("runtime allowance", OverheadBytes);
        text.Append(inv, $"  {"estimated peak",-22}{FormatBytes(PeakBytes),12}  (needs {FormatBytes(AdditionalBytes)} free beyond the loaded model)");
        return text.ToString();
    }
}
