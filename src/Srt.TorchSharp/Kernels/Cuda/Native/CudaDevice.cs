using System.Collections.Concurrent;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// One GPU as the fused kernels see it: its primary context (shared with libtorch), its properties, and the kernel
/// modules loaded into that context. One instance per device ordinal per process.
/// </summary>
internal sealed class CudaDevice
{
    private static readonly ConcurrentDictionary<int, Lazy<CudaDevice>> Devices = new();

    private readonly object _gate = new();
    private readonly Dictionary<string, IntPtr> _modules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IntPtr> _functions = new(StringComparer.Ordinal);

    private CudaDevice(int ordinal)
    {
        Driver = CudaDriver.Require();
        Ordinal = ordinal;
        var count = Driver.DeviceCount;
        if (ordinal < 0 || ordinal >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"There are {count} CUDA devices.");
        }

        Handle = Driver.GetDevice(ordinal);
        Name = Driver.GetDeviceName(Handle);
        Major = Driver.GetAttribute(Handle, CudaDriver.AttributeComputeCapabilityMajor);
        Minor = Driver.GetAttribute(Handle, CudaDriver.AttributeComputeCapabilityMinor);
        MultiprocessorCount = Driver.GetAttribute(Handle, CudaDriver.AttributeMultiprocessorCount);
        L2CacheBytes = Driver.GetAttribute(Handle, CudaDriver.AttributeL2CacheSize);
        MaxSharedMemoryPerBlockOptin = Driver.GetAttribute(Handle, CudaDriver.AttributeMaxSharedMemoryPerBlockOptin);
        Context = Driver.RetainPrimaryContext(Handle);
    }

    public CudaDriver Driver { get; }

    public int Ordinal { get; }

    public int Handle { get; }

    public string Name { get; }

    public int Major { get; }

    public int Minor { get; }

    public int MultiprocessorCount { get; }

    public int L2CacheBytes { get; }

    public int MaxSharedMemoryPerBlockOptin { get; }

    /// <summary>Gets the device's primary context, the one the CUDA runtime (and so libtorch) uses.</summary>
    public IntPtr Context { get; }

    /// <summary>Gets the device for an ordinal, creating it (and retaining its primary context) on first use.</summary>
    public static CudaDevice Get(int ordinal) =>
        Devices.GetOrAdd(ordinal, key => new Lazy<CudaDevice>(() => new CudaDevice(key))).Value;

    /// <summary>Binds this device's primary context to the calling thread.</summary>
    public void MakeCurrent() => Driver.SetCurrentContext(Context);

    /// <summary>Returns a kernel entry point, compiling and loading its program on first use.</summary>
    public IntPtr GetFunction(string program, string entryPoint)
    {
        lock (_gate)
        {
            if (_functions.TryGetValue(entryPoint, out var function))
            {
                return function;
            }

            MakeCurrent();
            if (!_modules.TryGetValue(program, out var module))
            {
                var cubin = CudaKernelCompiler.GetCubin(program, CudaKernelCompiler.ChooseArchitecture(Major, Minor));
                module = Driver.LoadModule(cubin);
                _modules[program] = module;
            }

            function = Driver.GetFunction(module, entryPoint);
            _functions[entryPoint] = function;
            return function;
        }
    }

    /// <summary>Compiles and loads every program now, so that later launches pay no compile time.</summary>
    public void LoadAll()
    {
        lock (_gate)
        {
            MakeCurrent();
            foreach (var program in CudaKernelSources.Programs)
            {
                if (!_modules.ContainsKey(program))
                {
                    var cubin = CudaKernelCompiler.GetCubin(program, CudaKernelCompiler.ChooseArchitecture(Major, Minor));
                    _modules[program] = Driver.LoadModule(cubin);
                }
            }
        }
    }
}
