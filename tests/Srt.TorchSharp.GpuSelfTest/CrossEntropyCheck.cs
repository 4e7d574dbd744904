using Srt.TorchSharp.Kernels.Cuda;

namespace Srt.TorchSharp.GpuSelfTest;

/// <summary>
/// The fused cross-entropy's chunk kernel (cross_entropy.cu) against a float64 CPU reference: each row's loss, and the
/// logits replaced in place by (softmax − onehot) × scale × rowScale[r]; then the loss alone, logits left untouched.
/// </summary>
internal static unsafe class CrossEntropyCheck
{
    private const float Scale = 0.37f;

    public static void Run(SelfTestContext context, KernelElementType type, int rows, int vocab, bool rowScaled, int offset, bool time)
    {
        var shape = $"{rows}x{vocab}" + (rowScaled ? " row-scaled" : string.Empty) + (offset != 0 ? $" +{offset}" : string.Empty);
        var bf16 = type == KernelElementType.BFloat16;
        var driver = context.Driver;
        var count = (long)rows * vocab;

        // Logits of a few units (a trained model's spread), one target per row, optional per-row factors of both signs.
        var logits = HostData.Random(count, 3.0, bf16);
        var random = new Random(rows * 31 + vocab);
        var targets = Enumerable.Range(0, rows).Select(_ => (long)random.Next(vocab)).ToArray();
        targets[0] = vocab - 1; // the last column, which a vectorized row reaches only in its last vector
        var factors = rowScaled ? HostData.Random(rows, 1.0, false) : null;

        var nllRef = new double[rows];
        var gradRef = new double[count];
        Parallel.For(0, rows, r =>
        {
            var row = (long)r * vocab;
            double max = double.NegativeInfinity;
            for (var j = 0; j < vocab; j++)
            {
                max = Math.Max(max, logits[row + j]);
            }

            double sum = 0;
            for (var j = 0; j < vocab; j++)
            {
                sum += Math.Exp(logits[row + j] - max);
            }

            var lse = max + Math.Log(sum);
            nllRef[r] = lse - logits[row + targets[r]];
            var factor = Scale * (factors?[r] ?? 1.0);
            for (var j = 0; j < vocab; j++)
            {
                gradRef[row + j] = (Math.Exp(logits[row + j] - lse) - (j == targets[r] ? 1.0 : 0.0)) * factor;
            }
        });

        using var dLogits = DeviceBuffer.Upload(driver, type, logits, offset);
        using var dNll = new DeviceBuffer(driver, KernelElementType.Float32, rows);
        using var dFactors = factors is null ? null : DeviceBuffer.Upload(driver, KernelElementType.Float32, factors);
        var dTargets = driver.Allocate((long)rows * sizeof(long));
        try
        {
            fixed (long* data = targets)
            {
                driver.CopyToDevice(dTargets, data, (long)rows * sizeof(long));
            }

            void Launch(bool gradient) => context.Launcher.CrossEntropyRows(
                type, dLogits.Address, dTargets, dFactors?.Address ?? 0UL, Scale, dNll.Address, rows, vocab, gradient);

            try
            {
                dNll.Poison();
                Launch(gradient: false);
                driver.Synchronize();
                var nllError = HostData.RelativeError(dNll.Read(), nllRef);
                var untouched = HostData.RelativeError(dLogits.Read(), Array.ConvertAll(logits, v => (double)v));
                context.Record("ce.rows (loss only)", type, shape, "nll", nllError);
                context.Record("ce.rows (loss only)", type, shape, "logits unchanged", untouched);
            }
            catch (Exception exception)
            {
                context.RecordFailure("ce.rows (loss only)", type, shape, exception);
                return;
            }

            try
            {
                dNll.Poison();
                Launch(gradient: true);
                driver.Synchronize();
                var nllError = HostData.RelativeError(dNll.Read(), nllRef);
                var gradError = HostData.RelativeError(dLogits.Read(), gradRef);

                // Timed on the gradient it just wrote (the values stay finite); two reads and one write of the row.
                double? ms = time ? context.MedianMilliseconds(() => Launch(gradient: true)) : null;
                context.Record("ce.rows", type, shape, "grad logits", gradError, ms, 3.0 * count * type.Size());
                context.Record("ce.rows", type, shape, "nll", nllError);
            }
            catch (Exception exception)
            {
                context.RecordFailure("ce.rows", type, shape, exception);
            }
        }
        finally
        {
            driver.Free(dTargets);
        }
    }
}
