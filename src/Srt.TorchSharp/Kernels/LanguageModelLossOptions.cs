namespace Srt.TorchSharp.Kernels;

/// <summary>Options for the language-model losses in <see cref="LanguageModelLoss"/>.</summary>
public sealed class LanguageModelLossOptions
{
    /// <summary>Gets or sets which implementation computes the loss.</summary>
    /// <value>The default is <see cref="LossImplementation.Fused"/>.</value>
    public LossImplementation Implementation { get; set; } = LossImplementation.Fused;

    /// <summary>Gets or sets how the cross-entropy of supervised tokens is reduced.</summary>
    /// <value>The default is <see cref="LossReduction.Mean"/>.</value>
    public LossReduction Reduction { get; set; } = LossReduction.Mean;

    /// <summary>Gets or sets the target value that marks a token without loss, as in PyTorch.</summary>
    /// <value>The default is -100.</value>
    public long IgnoreIndex { get; set; } = -100;

    /// <summary>
    /// Gets or sets the number of token rows the fused path projects at once, or <see langword="null"/> to derive it
    /// from <see cref="MaxChunkLogitsBytes"/> (CPU) or <see cref="CudaMaxChunkLogitsBytes"/> (CUDA).
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public int? ChunkRows { get; set; }

    /// <summary>
    /// Gets or sets the size, in bytes, that one chunk's float32 logits (rows × vocabulary × 4) may take when
    /// <see cref="ChunkRows"/> is not set and the weight is not on a CUDA device. The fused path's transient memory is
    /// a small multiple of this.
    /// </summary>
    /// <value>The default is 64 MiB (524 rows at a 32,000 vocabulary, 130 rows at 128,256).</value>
    public long MaxChunkLogitsBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Gets or sets the most, in bytes, that one chunk's float32 logits may take when <see cref="ChunkRows"/> is not set
    /// and the weight is on a CUDA device. Within it the automatic size is an eighth of the rows (so the fused path's
    /// transient memory stays a fixed, small share of the plain path's, which needs about 3 × rows × V × 4 bytes), but
    /// never fewer than 512 rows nor under 64 MiB of logits: every chunk reads and writes the whole V × H float32
    /// weight-gradient accumulator, and with small chunks (130 rows at V = 128,256) that traffic, not the matmuls, sets
    /// the GPU time. Rows are rounded down to a multiple of 128 (the GPU matmul tile): 130 rows would cost two tiles.
    /// </summary>
    /// <value>
    /// The default is 512 MiB (at most 4,096 rows at a 32,000 vocabulary, 1,024 rows at 128,256; 4,096 supervised
    /// tokens make chunks of 512 rows at either).
    /// </value>
    public long CudaMaxChunkLogitsBytes { get; set; } = 512L << 20;

    /// <summary>
    /// Gets or sets whether fused chunks on a CUDA device run as one kernel (<c>cross_entropy.cu</c>: loss and the
    /// logits' gradient in place, in the logits' dtype) instead of composed ops. Internal and off until the kernel has
    /// run on a GPU (the GPU self-test and <c>cuda-check</c> check it; docs/kernels.md).
    /// </summary>
    internal bool CudaCrossEntropyKernel { get; set; }

    /// <summary>
    /// Gets the cap of the model's final logit soft-capping (Gemma 2's <c>final_logit_softcapping</c>:
    /// logits become <c>tanh(z / cap) · cap</c> before the loss), or <see langword="null"/>. The fused path does not
    /// implement the cap, so a capped loss always takes the plain path.
    /// </summary>
    internal double? LogitSoftcapping { get; private init; }

    /// <summary>These options for a model whose logits are soft-capped at <paramref name="cap"/> (null: unchanged).</summary>
    internal LanguageModelLossOptions WithLogitSoftcapping(double? cap)
    {
        if (cap is null)
        {
            return this;
        }
        return new LanguageModelLossOptions
        {
            Implementation = LossImplementation.Plain,
            Reduction = Reduction,
            IgnoreIndex = IgnoreIndex,
            ChunkRows = ChunkRows,
            MaxChunkLogitsBytes = MaxChunkLogitsBytes,
            CudaMaxChunkLogitsBytes = CudaMaxChunkLogitsBytes,
            CudaCrossEntropyKernel = CudaCrossEntropyKernel,
            LogitSoftcapping = cap,
        };
    }

    private const long MatmulTileRows = 128;

    /// <summary>The automatic CUDA chunk is at most this share of the rows (1/8), within the bounds below.</summary>
    private const long CudaChunksPerBatch = 8;

    private const long CudaMinChunkRows = 512;

    private const long CudaMinChunkLogitsBytes = 64L << 20;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Implementation))
        {
            throw new ArgumentOutOfRangeException(nameof(Implementation), Implementation, "Unknown loss implementation.");
        }

        if (!Enum.IsDefined(Reduction))
        {
            throw new ArgumentOutOfRangeException(nameof(Reduction), Reduction, "Unknown loss reduction.");
        }

        if (IgnoreIndex >= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(IgnoreIndex), IgnoreIndex, "The ignore index must be negative so that it can never be a vocabulary id.");
        }

        if (ChunkRows is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ChunkRows), ChunkRows, "Chunk rows must be at least 1 (or null for automatic).");
        }

        if (MaxChunkLogitsBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxChunkLogitsBytes), MaxChunkLogitsBytes, "The chunk byte budget must be positive.");
        }

        if (CudaMaxChunkLogitsBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CudaMaxChunkLogitsBytes), CudaMaxChunkLogitsBytes, "The CUDA chunk byte budget must be positive.");
        }
    }

    /// <summary>
    /// Gets the number of rows per chunk for a vocabulary of <paramref name="vocabularySize"/>, <paramref name="rows"/>
    /// rows in all and a weight on a device of type <paramref name="device"/>.
    /// </summary>
    internal long ResolveChunkRows(long vocabularySize, long rows, global::TorchSharp.DeviceType device = global::TorchSharp.DeviceType.CPU)
    {
        long rowBytes = Math.Max(1, vocabularySize) * sizeof(float);
        long chunk;
        if (ChunkRows is int explicitRows)
        {
            chunk = explicitRows;
        }
        else if (device == global::TorchSharp.DeviceType.CUDA)
        {
            long most = Math.Max(1, CudaMaxChunkLogitsBytes / rowBytes);
            long least = Math.Max(CudaMinChunkRows, CudaMinChunkLogitsBytes / rowBytes);
            chunk = Math.Min(most, Math.Max(least, (rows + CudaChunksPerBatch - 1) / CudaChunksPerBatch));
            if (chunk > MatmulTileRows)
            {
                chunk -= chunk % MatmulTileRows;
            }
        }
        else
        {
            chunk = Math.Max(1, MaxChunkLogitsBytes / rowBytes);
        }

        return Math.Clamp(chunk, 1, Math.Max(1, rows));
    }
}
