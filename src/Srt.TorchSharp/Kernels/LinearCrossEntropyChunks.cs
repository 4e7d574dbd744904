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
    public static ChunkedLossOutputs Run(
        Tensor hidden,
        Tensor weight,
        Tensor targets,
        long chunkRows,
        double scale,
        Tensor? rowWeights,
        bool computeHiddenGradient,
        bool computeWeightGradient)
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
            var targetChunk = targets.narrow(0, start, length).unsqueeze(1);

            // One pass turns the chunk's logits (bf16 ones upcast inside the same kernel) into float32 log-probabilities;
            // the matmul output is freed at once, so at most two chunk-sized tensors ever exist.
            Tensor logProbs;
            using (var projected = hiddenChunk.mm(weightT))
            {
                logProbs = torch.special.log_softmax(projected, 1, accumulate);
            }

            nll.narrow(0, start, length).copy_(logProbs.gather(1, targetChunk).squeeze(1).neg_());
            if (!anyGradient)
            {
                continue;
            }

            // d nll / d logits = softmax − onehot, built in the log-probabilities' own memory.
            var gradLogits = logProbs.exp_();
            gradLogits.scatter_add_(1, targetChunk, torch.full(length, 1, -1.0, dtype: accumulate, device: hidden.device));

            // A scalar scale is applied to the small products (C × H, and through addmm's alpha) rather than to the
            // C × V gradient: one pass over the chunk fewer.
            double productScale = scale;
            if (rowWeights is not null)
            {
                gradLogits.mul_(rowWeights.narrow(0, start, length).to(accumulate).mul(scale).unsqueeze(1));
                productScale = 1.0;
            }

            var gradLogitsInput = gradLogits;
            long sliceRows = vocabulary;
            if (lowPrecision)
            {
                // The matmuls take the bf16 copy; the float32 chunk is freed now, and the weight-gradient product may
                // use as much memory as it held.
                gradLogitsInput = gradLogits.to(hidden.dtype);
                gradLogits.Dispose();
                sliceRows = Math.Max(MinWeightGradientSliceRows, length * vocabulary * sizeof(float) / (hidden.shape[1] * hidden.ElementSize));
            }

            if (gradHidden is not null)
            {
                var product = gradLogitsInput.mm(weight);
                gradHidden.narrow(0, start, length).copy_(productScale == 1.0 ? product : product.mul_(productScale));
            }

            if (gradWeightAccumulator is not null)
            {
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
            accumulator.narrow(0, start, length).add_(gradLogits.narrow(1, start, length).t().mm(hiddenChunk), alpha: scale);
        }
    }
}
