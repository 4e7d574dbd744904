using Srt.TorchSharp.Kernels.Cuda;

namespace Srt.TorchSharp.GpuSelfTest;

/// <summary>RMSNorm forward (y, rstd) and backward (dx, dw) against a float64 CPU reference.</summary>
internal static class RmsNormCheck
{
    private const float Epsilon = 1e-5f;

    public static void Run(SelfTestContext context, KernelElementType type, int rows, int cols, int offset, bool time, int? rowsPerStep = null)
    {
        context.Launcher.RmsNormBackwardRowsPerStep = rowsPerStep;
        var shape = $"{rows}x{cols}" + (offset != 0 ? $" +{offset}" : string.Empty) + (rowsPerStep is { } r ? $" r{r}" : string.Empty);
        var bf16 = type == KernelElementType.BFloat16;
        var driver = context.Driver;
        var launcher = context.Launcher;
        var x = HostData.Random((long)rows * cols, 1.0, bf16);
        var w = HostData.Random(cols, 1.0, bf16);
        var dy = HostData.Random((long)rows * cols, 1.0, bf16);
        var (yRef, rstdRef) = Forward(x, w, rows, cols);
        var (dxRef, dwRef) = Backward(dy, x, w, rstdRef, rows, cols);

        using var dx = DeviceBuffer.Upload(driver, type, x, offset);
        using var dW = DeviceBuffer.Upload(driver, type, w, offset);
        using var dDy = DeviceBuffer.Upload(driver, type, dy, offset);
        using var dY = new DeviceBuffer(driver, type, (long)rows * cols, offset);
        using var dRstd = new DeviceBuffer(driver, KernelElementType.Float32, rows);
        using var dDx = new DeviceBuffer(driver, type, (long)rows * cols, offset);
        using var dDw = new DeviceBuffer(driver, type, cols, offset);
        using var workspace = new DeviceBuffer(driver, KernelElementType.Float32, (long)launcher.RmsNormBackwardParts(type, rows, cols) * cols);

        void LaunchForward() => launcher.RmsNormForward(type, dx.Address, dW.Address, dY.Address, dRstd.Address, rows, cols, Epsilon);
        void LaunchBackward() => launcher.RmsNormBackward(type, dDy.Address, dx.Address, dW.Address, dRstd.Address,
            dDx.Address, dDw.Address, workspace.Address, rows, cols);

        try
        {
            dY.Poison();
            dRstd.Poison();
            LaunchForward();
            driver.Synchronize();
            var yError = HostData.RelativeError(dY.Read(), yRef);
            var rstdError = HostData.RelativeError(dRstd.Read(), rstdRef);
            double? ms = time ? context.MedianMilliseconds(LaunchForward) : null;
            var size = type.Size();
            double bytes = 2.0 * rows * cols * size + (double)cols * size + rows * 4.0;
            context.Record("rmsnorm.fwd", type, shape, "y", yError, ms, bytes);
            context.Record("rmsnorm.fwd", type, shape, "rstd", rstdError);
        }
        catch (Exception exception)
        {
            context.RecordFailure("rmsnorm.fwd", type, shape, exception);
            return;
        }

        try
        {
            dDx.Poison();
            dDw.Poison();
            workspace.Poison();
            LaunchBackward();
            driver.Synchronize();
            var dxError = HostData.RelativeError(dDx.Read(), dxRef);
            var dwError = HostData.RelativeError(dDw.Read(), dwRef);
            double? ms = time ? context.MedianMilliseconds(LaunchBackward) : null;
            var size = type.Size();
            double bytes = 3.0 * rows * cols * size + 2.0 * cols * size + rows * 4.0;
            context.Record("rmsnorm.bwd", type, shape, "dx", dxError, ms, bytes);
            context.Record("rmsnorm.bwd", type, shape, "dw", dwError);
        }
        catch (Exception exception)
        {
            context.RecordFailure("rmsnorm.bwd", type, shape, exception);
        }
    }

    private static (double[] Y, double[] Rstd) Forward(float[] x, float[] w, int rows, int cols)
    {
        var y = new double[x.Length];
        var rstd = new double[rows];
        Parallel.For(0, rows, r =>
        {
            var row = (long)r * cols;
            double sum = 0;
            for (var c = 0; c < cols; c++)
            {
                sum += (double)x[row + c] * x[row + c];
            }

            var inv = 1.0 / Math.Sqrt(sum / cols + Epsilon);
            rstd[r] = inv;
            for (var c = 0; c < cols; c++)
            {
                y[row + c] = x[row + c] * inv * w[c];
            }
        });
        return (y, rstd);
    }

    private static (double[] Dx, double[] Dw) Backward(float[] dy, float[] x, float[] w, double[] rstd, int rows, int cols)
    {
        var dx = new double[x.Length];
        const int rowsPerChunk = 64;
        var chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
        var partials = new double[chunks][];
        Parallel.For(0, chunks, chunk =>
        {
            var partial = new double[cols];
            for (var r = chunk * rowsPerChunk; r < Math.Min(rows, (chunk + 1) * rowsPerChunk); r++)
            {
                var row = (long)r * cols;
                var inv = rstd[r];
                double dot = 0;
                for (var c = 0; c < cols; c++)
                {
                    dot += (double)dy[row + c] * w[c] * x[row + c];
                }

                var coef = dot * inv * inv * inv / cols;
                for (var c = 0; c < cols; c++)
                {
                    dx[row + c] = inv * dy[row + c] * w[c] - coef * x[row + c];
                    partial[c] += (double)dy[row + c] * x[row + c] * inv;
                }
            }

            partials[chunk] = partial;
        });
        var dw = new double[cols];
        foreach (var partial in partials)
        {
            for (var c = 0; c < cols; c++)
            {
                dw[c] += partial[c];
            }
        }

        return (dx, dw);
    }
}
