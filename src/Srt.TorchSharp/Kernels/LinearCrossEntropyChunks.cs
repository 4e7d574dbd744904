using Srt.TorchSharp.Kernels.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels;

/// <summary>
/// The chunked arithmetic behind the fused losses: for a block of rows at a time it projects hidden states to logits,
/// takes their log-softmax, and (when asked) turns it into the logits' gradient in place and multiplies it back
/// through the weight. Only one chunk's logits exist at any moment.
/// </summary>
/// <remarks>
/// Precision: the projections run in the inputs' dtype (bf16 matmuls accumulate in float32 inside the kernel and
/// round their output to bf16); the log-softmax reads them and writes float32, so log-probabilities, softmax and the
/// weight-gradient accumulator are float32 (float64 for float64 inputs). This is the same rounding the plain path has
/// when it upcasts bf16 logits before <c>cross_entropy</c>, and keeps bf16 matmul speed.
/// </remarks>
internal static class LinearCrossEntropyChunks
{
    /// <summary>
    /// The fewest vocabulary rows per slice when a low-precision weight gradient is added into its float32 accumulator:
    /// the bf16 product is materialized one slice at a time, as large as fits in the float32 chunk freed just before
    /// (so the peak does not grow) but never smaller than 8,192 × H.
    /// </summary>
    private const long MinWeightGradientSliceRows = 8192;

    /// <summary>
    /// Computes the negative log-likelihood of each row's target and, optionally, the gradients of
    /// Σ_r scale · w_r · nll_r with respect to the hidden rows and the weight.
    /// </summary>
    /// <param name="hidden">Hidden rows [M, H].</param>
    /// <param name="weight">The output projection [V, H].</param>
    /// <param name="targets">Target ids [M], all in [0, V).</param>
    /// <param name="chunkRows">Rows per chunk.</param>
    /// <param name="scale">A scalar factor on the gradient.</param>
    /// <param name="rowWeights">Optional per-row factors [M] on the gradient (the upstream gradient).</param>
    /// <param name="computeHiddenGradient">Whether to compute the gradient for <paramref name="hidden"/>.</param>
    /// <param name="computeWeightGradient">Whether to compute the gradient for <paramref name="weight"/>.</param>
    /// <param name="cudaRowKernel">
    /// Whether a chunk on a CUDA device may use <c>cross_entropy.cu</c>, which turns the logits into their gradient in
    /// place in one kernel, instead of the composed ops. Off by default: not yet run on a GPU (docs/kernels.md).
    /// </param>
    public static ChunkedLossOutputs Run(
        Tensor hidden,
        Tensor weight,
        Tensor targets,
        long chunkRows,
        double scale,
        Tensor? rowWeights,
        bool computeHiddenGradient,
        bool computeWeightGradient,
        bool cudaRowKernel = false)
    {
        long rows = hidden.shape[0];
        long vocabulary = weight.shape[0];
        var accumulate = AccumulationType(hidden.dtype);
        bool lowPrecision = hidden.dtype != accumulate;
        bool anyGradient = computeHiddenGradient || computeWeightGradient;

        var nll = torch.empty(rows, dtype: accumulate, device: hidden.device);
        var gradHidden = computeHiddenGradient ? torch.empty_like(hidden) : null;
        var gradWeightAccumulator = computeWeightGradient ? torch.zeros(weight.shape, dtype: accumulate, device: weight.device) : null;
        var weightT = weight.t();

        for (long start = 0; start < rows; start += chunkRows)
        {
            using var chunkScope = torch.NewDisposeScope();
            long length = Math.Min(chunkRows, rows - start);
            var hiddenChunk = hidden.narrow(0, start, length);
            var targetChunk = targets.narrow(0, start, length);
            var rowWeightChunk = rowWeights?.narrow(0, start, length);
            var nllChunk = nll.narrow(0, start, length);
            var projected = hiddenChunk.mm(weightT);

            // The gradient of the logits in the inputs' dtype, and the factor still to apply to the products.
            Tensor? gradLogitsInput;
            double productScale;
            if (cudaRowKernel && CudaCrossEntropyRows.TryRun(projected, targetChunk, rowWeightChunk, scale, nllChunk, anyGradient))
            {
                (gradLogitsInput, productScale) = (anyGradient ? projected : null, 1.0);
            }
            else
            {
                (gradLogitsInput, productScale) = ComposedChunk(projected, targetChunk, rowWeightChunk, scale, nllChunk, accumulate, anyGradient);
            }

            if (gradLogitsInput is null)
            {
                continue;
            }

            if (gradHidden is not null)
            {
                var product = gradLogitsInput.mm(weight);
                gradHidden.narrow(0, start, length).copy_(productScale == 1.0 ? product : product.mul_(HeldScalars.Of(productScale)));
            }

            if (gradWeightAccumulator is not null)
            {
                // A bf16 product is added in vocabulary slices whose temporary is at most a float32 chunk's size.
                long sliceRows = lowPrecision
                    ? Math.Max(MinWeightGradientSliceRows, length * vocabulary * sizeof(float) / (hidden.shape[1] * hidden.ElementSize))
                    : vocabulary;
                AccumulateWeightGradient(gradWeightAccumulator, gradLogitsInput, hiddenChunk, productScale, lowPrecision, sliceRows);
            }
        }

        Tensor? gradWeight = gradWeightAccumulator;
        if (gradWeightAccumulator is not null && lowPrecision)
        {
            gradWeight = gradWeightAccumulator.to(weight.dtype);
            gradWeightAccumulator.Dispose();
        }

        return new ChunkedLossOutputs(nll, gradHidden, gradWeight);
    }

    /// <summary>
    /// The chunk's loss and logits gradient with composed TorchSharp ops: writes <paramref name="nll"/> and returns the
    /// gradient in the inputs' dtype (null when no gradient is wanted) with the factor still to apply to its products.
    /// </summary>
    private static (Tensor? GradLogits, double ProductScale) ComposedChunk(
        Tensor projected, Tensor targets, Tensor? rowWeights, double scale, Tensor nll, ScalarType accumulate, bool gradient)
    {
        // One pass turns the chunk's logits (bf16 ones upcast inside the same kernel) into float32 log-probabilities;
        // the matmul output is freed at once, so at most two chunk-sized tensors ever exist.
        var (inputType, device) = (projected.dtype, projected.device);
        var targetColumn = targets.unsqueeze(1);
        var logProbs = torch.special.log_softmax(projected, 1, accumulate);
        projected.Dispose();
        nll.copy_(logProbs.gather(1, targetColumn).squeeze(1).neg_());
        if (!gradient)
        {
            return (null, 1.0);
        }

        // d nll / d logits = softmax − onehot, built in the log-probabilities' own memory.
        var gradLogits = logProbs.exp_();
        gradLogits.scatter_add_(1, targetColumn, torch.full(targets.shape[0], 1, HeldScalars.Of(-1.0), dtype: accumulate, device: device));

        // A scalar scale is applied to the small products (C × H, and through addmm's alpha) rather than to the
        // C × V gradient: one pass over the chunk fewer.
        double productScale = scale;
        if (rowWeights is not null)
        {
            gradLogits.mul_(rowWeights.to(accumulate).mul(HeldScalars.Of(scale)).unsqueeze(1));
            productScale = 1.0;
        }

        if (inputType == accumulate)
        {
            return (gradLogits, productScale);
        }

        // The matmuls take a copy in the inputs' dtype; the float32 chunk is freed now.
        var lowPrecision = gradLogits.to(inputType);
        gradLogits.Dispose();
        return (lowPrecision, productScale);
    }

    /// <summary>Gets the dtype that softmax and the weight-gradient accumulator use for inputs of <paramref name="inputType"/>.</summary>
    public static ScalarType AccumulationType(ScalarType inputType) =>
        inputType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    private static void AccumulateWeightGradient(Tensor accumulator, Tensor gradLogits, Tensor hiddenChunk, double scale, bool lowPrecision, long sliceRows)
    {
        if (!lowPrecision)
        {
            accumulator.addmm_(gradLogits.t(), hiddenChunk, beta: 1, alpha: (float)scale);
            return;
        }

        long vocabulary = accumulator.shape[0];
        for (long start = 0; start < vocabulary; start += sliceRows)
        {
            using var sliceScope = torch.NewDisposeScope();
            long length = Math.Min(sliceRows, vocabulary - start);
            accumulator.narrow(0, start, length).add_(gradLogits.narrow(1, start, length).t().mm(hiddenChunk), alpha: HeldScalars.Of(scale));
        }
    }
}
