using Srt.TorchSharp.Kernels.Cuda;

namespace Srt.TorchSharp.GpuSelfTest;

/// <summary>Rotary embedding forward and backward on [B, H, T, D] against a float64 CPU reference.</summary>
internal static class RotaryCheck
{
    public static void Run(SelfTestContext context, KernelElementType type, int batch, int heads, int seq, int dim,
        bool tablePerBatch, int offset, bool time)
    {
        var shape = $"{batch}x{heads}x{seq}x{dim}" + (tablePerBatch ? " cos[B]" : string.Empty) + (offset != 0 ? $" +{offset}" : string.Empty);
        var bf16 = type == KernelElementType.BFloat16;
        var driver = context.Driver;
        var n = (long)batch * heads * seq * dim;
        var tableBatch = tablePerBatch ? batch : 1;
        var half = dim / 2;
        var cos = new float[(long)tableBatch * seq * dim];
        var sin = new float[cos.Length];
        for (var b = 0; b < tableBatch; b++)
        {
            for (var t = 0; t < seq; t++)
            {
                for (var j = 0; j < dim; j++)
                {
                    // Hugging Face's table: the first half's frequencies repeated; positions shifted per batch row.
                    var angle = (t + 3.0 * b) * Math.Pow(10000.0, -2.0 * (j % half) / dim);
                    cos[((long)b * seq + t) * dim + j] = (float)Math.Cos(angle);
                    sin[((long)b * seq + t) * dim + j] = (float)Math.Sin(angle);
                }
            }
        }

        var x = HostData.Random(n, 1.0, bf16);
        var forwardRef = Reference(x, cos, sin, batch, heads, seq, dim, tablePerBatch, backward: false);
        var backwardRef = Reference(x, cos, sin, batch, heads, seq, dim, tablePerBatch, backward: true);
        using var dX = DeviceBuffer.Upload(driver, type, x, offset);
        using var dCos = DeviceBuffer.Upload(driver, KernelElementType.Float32, cos);
        using var dSin = DeviceBuffer.Upload(driver, KernelElementType.Float32, sin);
        using var dY = new DeviceBuffer(driver, type, n, offset);
        var size = type.Size();
        var bytes = 2.0 * n * size + 2.0 * cos.Length * 4;

        foreach (var backward in new[] { false, true })
        {
            var kernel = backward ? "rotary.bwd" : "rotary.fwd";
            try
            {
                void Launch() => context.Launcher.Rotary(type, backward, dX.Address, dCos.Address, dSin.Address, dY.Address,
                    batch, heads, seq, dim, tablePerBatch);
                dY.Poison();
                Launch();
                driver.Synchronize();
                var error = HostData.RelativeError(dY.Read(), backward ? backwardRef : forwardRef);
                double? ms = time ? context.MedianMilliseconds(Launch) : null;
                context.Record(kernel, type, shape, backward ? "dx" : "y", error, ms, bytes);
            }
            catch (Exception exception)
            {
                context.RecordFailure(kernel, type, shape, exception);
            }
        }
    }

    private static double[] Reference(float[] x, float[] cos, float[] sin, int batch, int heads, int seq, int dim,
        bool tablePerBatch, bool backward)
    {
        var y = new double[x.Length];
        var half = dim / 2;
        var rows = (long)batch * heads * seq;
        Parallel.For(0L, rows, row =>
        {
            var t = row % seq;
            var b = row / ((long)heads * seq);
            var table = ((tablePerBatch ? b : 0) * seq + t) * dim;
            var at = row * dim;
            for (var j = 0; j < half; j++)
            {
                double x1 = x[at + j], x2 = x[at + j + half];
                double c1 = cos[table + j], c2 = cos[table + j + half], s1 = sin[table + j], s2 = sin[table + j + half];
                y[at + j] = backward ? x1 * c1 + x2 * s2 : x1 * c1 - x2 * s1;
                y[at + j + half] = backward ? x2 * c2 - x1 * s1 : x2 * c2 + x1 * s2;
            }
        });
        return y;
    }
}
