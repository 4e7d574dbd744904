namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// Launches the fused kernels on raw device addresses (stream 0, the legacy default stream libtorch uses).
/// Callers own the memory; every tensor is dense and row-major. The 16-byte vector variant of a kernel is used when
/// every address it touches is 16-byte aligned and the row length divides into vectors; otherwise the scalar one.
/// </summary>
internal sealed unsafe class FusedKernelLauncher
{
    private const int DefaultSharedMemoryLimit = 48 * 1024;

    // Heads that share one read of a cos/sin table slice (rotary.cu); 8 keeps enough threads to fill the device.
    private const int RotaryHeadsPerThread = 8;

    // Vectors per thread that RMSNorm keeps in registers (SRT_ROW_CACHE in rmsnorm.cu).
    private const int RowCache = 4;

    // Threads per cross-entropy row block: a 128,256-entry bf16 row is 16,032 vectors, 16 per thread.
    private const int CrossEntropyMaxBlock = 1024;

    public FusedKernelLauncher(CudaDevice device) => Device = device;

    public CudaDevice Device { get; }

    /// <summary>
    /// Gets or sets how many rows one RMSNorm backward block takes per step (1 or 2; see rmsnorm.cu), or null to
    /// choose by element type: 2 for bfloat16 and 1 for float32, the faster of each on an H200 (docs/kernels.md).
    /// </summary>
    public int? RmsNormBackwardRowsPerStep { get; set; }

    /// <summary>Gets the launcher for a device ordinal.</summary>
    public static FusedKernelLauncher For(int ordinal) => new(CudaDevice.Get(ordinal));

    /// <summary>y = x * rsqrt(mean(x^2) + eps) * w over rows of <paramref name="cols"/>; rstd[rows] (float32) is saved for backward.</summary>
    public void RmsNormForward(KernelElementType type, ulong x, ulong weight, ulong y, ulong rstd, int rows, int cols, float eps)
    {
        RequirePositive(cols, nameof(cols));
        if (rows == 0)
        {
            return;
        }

        var width = RowVectorWidth(type, cols, x, weight, y);
        var name = $"srt_rmsnorm_fwd_{type.Suffix()}_v{width}";
        var function = Device.GetFunction(CudaKernelSources.RmsNorm, name);
        var block = RowBlockSize(function, cols / width);
        var args = stackalloc void*[7];
        args[0] = &x;
        args[1] = &weight;
        args[2] = &y;
        args[3] = &rstd;
        args[4] = &rows;
        args[5] = &cols;
        args[6] = &eps;
        Launch(function, name, (uint)rows, 1, (uint)block, 1, 0, args);
    }

    /// <summary>Gets how many partial dw rows <see cref="RmsNormBackward"/> writes: its workspace holds that many times cols floats.</summary>
    /// <remarks>As many blocks as fit on the device at once (at most 8 per multiprocessor), never more than rows.</remarks>
    public int RmsNormBackwardParts(KernelElementType type, int rows, int cols)
    {
        var width = cols % type.VectorWidth() == 0 ? type.VectorWidth() : 1;
        var function = Device.GetFunction(CudaKernelSources.RmsNorm, BackwardName(type, width));
        var block = RowBlockSize(function, cols / width);
        var sharedBytes = BackwardSharedBytes(cols, width, block);
        if (sharedBytes > DefaultSharedMemoryLimit && SupportsRmsNormBackward(cols))
        {
            Device.Driver.SetFunctionAttribute(function, CudaDriver.FunctionAttributeMaxDynamicSharedSizeBytes, sharedBytes);
        }

        var perMultiprocessor = Device.Driver.MaxActiveBlocksPerMultiprocessor(function, block, sharedBytes);
        var rowsPerStep = RowsPerStep(type);
        var steps = (rows + rowsPerStep - 1) / rowsPerStep;
        return Math.Max(1, Math.Min(steps, Device.MultiprocessorCount * Math.Clamp(perMultiprocessor, 1, 8)));
    }

    /// <summary>Gets whether a row of <paramref name="cols"/> float32 dw accumulators fits one block's shared memory.</summary>
    public bool SupportsRmsNormBackward(int cols) => (long)cols * 4 + 256 <= Device.MaxSharedMemoryPerBlockOptin;

    /// <summary>dx and dw of RMSNorm; <paramref name="workspace"/> holds <see cref="RmsNormBackwardParts"/> × cols float32.</summary>
    public void RmsNormBackward(KernelElementType type, ulong dy, ulong x, ulong weight, ulong rstd, ulong dx, ulong dw,
        ulong workspace, int rows, int cols)
    {
        RequirePositive(cols, nameof(cols));
        if (!SupportsRmsNormBackward(cols))
        {
            throw new NotSupportedException($"RMSNorm backward keeps {cols} float32 accumulators in shared memory; " +
                $"{Device.Name} allows {Device.MaxSharedMemoryPerBlockOptin} bytes per block.");
        }

        var parts = RmsNormBackwardParts(type, rows, cols);
        if (rows > 0)
        {
            var width = RowVectorWidth(type, cols, dy, x, weight, dx);
            var name = BackwardName(type, width);
            var function = Device.GetFunction(CudaKernelSources.RmsNorm, name);
            var block = RowBlockSize(function, cols / width);
            var sharedBytes = BackwardSharedBytes(cols, width, block);
            if (sharedBytes > DefaultSharedMemoryLimit)
            {
                Device.Driver.SetFunctionAttribute(function, CudaDriver.FunctionAttributeMaxDynamicSharedSizeBytes, sharedBytes);
            }

            var args = stackalloc void*[8];
            args[0] = &dy;
            args[1] = &x;
            args[2] = &weight;
            args[3] = &rstd;
            args[4] = &dx;
            args[5] = &workspace;
            args[6] = &rows;
            args[7] = &cols;
            Launch(function, name, (uint)parts, 1, (uint)block, 1, (uint)sharedBytes, args);
        }
        else
        {
            Device.MakeCurrent();
            Device.Driver.Fill32(workspace, 0, (long)parts * cols);
        }

        var reduceName = $"srt_rmsnorm_dw_reduce_{type.Suffix()}";
        var reduce = Device.GetFunction(CudaKernelSources.RmsNorm, reduceName);
        var reduceArgs = stackalloc void*[4];
        reduceArgs[0] = &workspace;
        reduceArgs[1] = &dw;
        reduceArgs[2] = &parts;
        reduceArgs[3] = &cols;
        Launch(reduce, reduceName, (uint)((cols + 31) / 32), 1, 32, 32, 0, reduceArgs);
    }

    /// <summary>
    /// Rotary embedding (rotate_half convention) of x: [batch, heads, seq, headDim] with float32 cos/sin:
    /// [tableBatch, seq, headDim], tableBatch 1 or batch. <paramref name="backward"/> applies the transpose (rotation by -θ).
    /// </summary>
    public void Rotary(KernelElementType type, bool backward, ulong x, ulong cos, ulong sin, ulong y,
        int batch, int heads, int seq, int headDim, bool tablePerBatch)
    {
        RequirePositive(headDim, nameof(headDim));
        if (headDim % 2 != 0)
        {
            throw new ArgumentException($"Rotary embedding needs an even head dimension, got {headDim}.", nameof(headDim));
        }

        var tableRows = (long)batch * seq;
        if (tableRows == 0 || heads == 0)
        {
            return;
        }

        if (tableRows > uint.MaxValue)
        {
            throw new NotSupportedException($"Rotary kernel indexes batch x seq with 32 bits; got {tableRows}.");
        }

        var half = headDim / 2;
        var width = type.VectorWidth();
        var aligned = half % width == 0 && Aligned(16, x, y) && Aligned((ulong)width * 4, cos, sin);
        width = aligned ? width : 1;
        var name = $"srt_rotary_{(backward ? "bwd" : "fwd")}_{type.Suffix()}_v{width}";
        var function = Device.GetFunction(CudaKernelSources.Rotary, name);
        var vectors = half / width;
        var blockX = Math.Min(vectors, 256);
        var blockY = Math.Max(1, 256 / blockX);
        var headsPerGroup = Math.Min(heads, RotaryHeadsPerThread);
        var groups = (uint)((heads + headsPerGroup - 1) / headsPerGroup);
        var grid = (uint)Math.Min((tableRows + blockY - 1) / blockY, (long)Device.MultiprocessorCount * 32);
        var tableRowCount = (uint)tableRows;
        var seqLength = (uint)seq;
        var tableBatchStride = tablePerBatch ? (long)seq * headDim : 0L;
        var args = stackalloc void*[10];
        args[0] = &x;
        args[1] = &cos;
        args[2] = &sin;
        args[3] = &y;
        args[4] = &tableRowCount;
        args[5] = &heads;
        args[6] = &headsPerGroup;
        args[7] = &seqLength;
        args[8] = &headDim;
        args[9] = &tableBatchStride;
        Launch(function, name, grid, groups, (uint)blockX, (uint)blockY, 0, args);
    }

    /// <summary>y = silu(gate) * up over <paramref name="count"/> elements.</summary>
    public void SwiGluForward(KernelElementType type, ulong gate, ulong up, ulong y, long count)
    {
        if (count == 0)
        {
            return;
        }

        var width = Aligned(16, gate, up, y) ? type.VectorWidth() : 1;
        var name = $"srt_swiglu_fwd_{type.Suffix()}_v{width}";
        var function = Device.GetFunction(CudaKernelSources.SwiGlu, name);
        var args = stackalloc void*[4];
        args[0] = &gate;
        args[1] = &up;
        args[2] = &y;
        args[3] = &count;
        Launch(function, name, ElementwiseGrid(count, width), 1, 256, 1, 0, args);
    }

    /// <summary>dgate and dup of SwiGLU over <paramref name="count"/> elements.</summary>
    public void SwiGluBackward(KernelElementType type, ulong dy, ulong gate, ulong up, ulong dgate, ulong dup, long count)
    {
        if (count == 0)
        {
            return;
        }

        var width = Aligned(16, dy, gate, up, dgate, dup) ? type.VectorWidth() : 1;
        var name = $"srt_swiglu_bwd_{type.Suffix()}_v{width}";
        var function = Device.GetFunction(CudaKernelSources.SwiGlu, name);
        var args = stackalloc void*[6];
        args[0] = &dy;
        args[1] = &gate;
        args[2] = &up;
        args[3] = &dgate;
        args[4] = &dup;
        args[5] = &count;
        Launch(function, name, ElementwiseGrid(count, width), 1, 256, 1, 0, args);
    }

    /// <summary>
    /// Cross-entropy of each row of <paramref name="logits"/> [rows, vocab] against int64 <paramref name="targets"/>
    /// [rows]: writes nll[rows] (float32) and, when <paramref name="gradient"/>, replaces the logits in place with
    /// (softmax − onehot) × <paramref name="scale"/> × rowScale[r] (<paramref name="rowScale"/> float32 [rows], or 0 for 1).
    /// </summary>
    public void CrossEntropyRows(KernelElementType type, ulong logits, ulong targets, ulong rowScale, float scale, ulong nll,
        int rows, int vocab, bool gradient)
    {
        RequirePositive(vocab, nameof(vocab));
        if (rows == 0)
        {
            return;
        }

        var width = RowVectorWidth(type, vocab, logits);
        var name = $"srt_ce_rows_{type.Suffix()}_v{width}";
        var function = Device.GetFunction(CudaKernelSources.CrossEntropy, name);
        var limit = Device.Driver.GetFunctionAttribute(function, CudaDriver.FunctionAttributeMaxThreadsPerBlock) / 32 * 32;
        var block = Math.Clamp(((vocab / width) + 31) / 32 * 32, 32, Math.Clamp(limit, 32, CrossEntropyMaxBlock));
        var grid = (uint)Math.Min(rows, Device.MultiprocessorCount * 8);
        var gradientFlag = gradient ? 1 : 0;
        var args = stackalloc void*[8];
        args[0] = &logits;
        args[1] = &targets;
        args[2] = &rowScale;
        args[3] = &scale;
        args[4] = &nll;
        args[5] = &rows;
        args[6] = &vocab;
        args[7] = &gradientFlag;
        Launch(function, name, grid, 1, (uint)block, 1, 0, args);
    }

    private uint ElementwiseGrid(long count, int width)
    {
        var vectors = Math.Max(1, count / width);
        return (uint)Math.Max(1, Math.Min((vectors + 255) / 256, (long)Device.MultiprocessorCount * 16));
    }

    private void Launch(IntPtr function, string name, uint gridX, uint gridY, uint blockX, uint blockY, uint sharedBytes, void** args)
    {
        Device.MakeCurrent();
        Device.Driver.Launch(function, name, gridX, gridY, blockX, blockY, sharedBytes, args);
    }

    private string BackwardName(KernelElementType type, int width) =>
        $"srt_rmsnorm_bwd_{type.Suffix()}_v{width}_r{RowsPerStep(type)}";

    private int RowsPerStep(KernelElementType type) =>
        RmsNormBackwardRowsPerStep is { } rows ? (rows == 2 ? 2 : 1) : (type == KernelElementType.BFloat16 ? 2 : 1);

    // Rows that fit RowCache vectors per thread keep dw in registers; longer ones need cols floats of shared memory.
    private static int BackwardSharedBytes(int cols, int width, int block) =>
        cols / width <= RowCache * block ? 0 : cols * 4;

    // Threads per row-block: about RowCache vectors per thread, a whole number of warps, and no more than the
    // compiled kernel can launch with (its register count caps the block).
    private int RowBlockSize(IntPtr function, int vectors)
    {
        var limit = Device.Driver.GetFunctionAttribute(function, CudaDriver.FunctionAttributeMaxThreadsPerBlock) / 32 * 32;
        return Math.Clamp((((vectors + RowCache - 1) / RowCache) + 31) / 32 * 32, 32, Math.Max(32, limit));
    }

    private static int RowVectorWidth(KernelElementType type, int cols, params ulong[] pointers)
    {
        var width = type.VectorWidth();
        return cols % width == 0 && Aligned(16, pointers) ? width : 1;
    }

    private static bool Aligned(ulong alignment, params ulong[] pointers) => pointers.All(p => p % alignment == 0);

    private static void RequirePositive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
        }
    }
}
