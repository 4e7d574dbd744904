using Srt.TorchSharp.Kernels.Cuda;

namespace Srt.TorchSharp.GpuSelfTest;

/// <summary>SwiGLU forward (y) and backward (dgate, dup) against a float64 CPU reference.</summary>
internal static class SwiGluCheck
{
    public static void Run(SelfTestContext context, KernelElementType type, int rows, int cols, int offset, bool time)
    {
        var n = (long)rows * cols;
        var shape = $"{rows}x{cols}" + (offset != 0 ? $" +{offset}" : string.Empty);
        var bf16 = type == KernelElementType.BFloat16;
        var driver = context.Driver;
        var gate = HostData.Random(n, 2.0, bf16);
        var up = HostData.Random(n, 1.0, bf16);
        var dy = HostData.Random(n, 1.0, bf16);
        var yRef = new double[n];
        var dgRef = new double[n];
        var duRef = new double[n];
        Parallel.For(0L, n, i =>
        {
            double g = gate[i], s = 1.0 / (1.0 + Math.Exp(-g));
            yRef[i] = g * s * up[i];
            dgRef[i] = dy[i] * up[i] * s * (1.0 + g * (1.0 - s));
            duRef[i] = dy[i] * g * s;
        });

        using var dGate = DeviceBuffer.Upload(driver, type, gate, offset);
        using var dUp = DeviceBuffer.Upload(driver, type, up, offset);
        using var dDy = DeviceBuffer.Upload(driver, type, dy, offset);
        using var dY = new DeviceBuffer(driver, type, n, offset);
        using var dDg = new DeviceBuffer(driver, type, n, offset);
        using var dDu = new DeviceBuffer(driver, type, n, offset);
        var size = type.Size();

        try
        {
            dY.Poison();
            context.Launcher.SwiGluForward(type, dGate.Address, dUp.Address, dY.Address, n);
            driver.Synchronize();
            var error = HostData.RelativeError(dY.Read(), yRef);
            double? ms = time ? context.MedianMilliseconds(() => context.Launcher.SwiGluForward(type, dGate.Address, dUp.Address, dY.Address, n)) : null;
            context.Record("swiglu.fwd", type, shape, "y", error, ms, 3.0 * n * size);
        }
        catch (Exception exception)
        {
            context.RecordFailure("swiglu.fwd", type, shape, exception);
            return;
        }

        try
        {
            dDg.Poison();
            dDu.Poison();
            void Launch() => context.Launcher.SwiGluBackward(type, dDy.Address, dGate.Address, dUp.Address, dDg.Address, dDu.Address, n);
            Launch();
            driver.Synchronize();
            var dgError = HostData.RelativeError(dDg.Read(), dgRef);
            var duError = HostData.RelativeError(dDu.Read(), duRef);
            double? ms = time ? context.MedianMilliseconds(Launch) : null;
            context.Record("swiglu.bwd", type, shape, "dgate", dgError, ms, 5.0 * n * size);
            context.Record("swiglu.bwd", type, shape, "dup", duError);
        }
        catch (Exception exception)
        {
            context.RecordFailure("swiglu.bwd", type, shape, exception);
        }
    }
}
