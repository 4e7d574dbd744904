using System.Runtime.InteropServices;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// The CUDA driver API (libcuda.so.1, nvcuda.dll on Windows), bound at run time so that a machine without an NVIDIA
/// driver can still load this assembly. Every wrapper checks the result and throws <see cref="CudaException"/> naming
/// the call and the driver's error string.
/// </summary>
internal sealed unsafe class CudaDriver
{
    public const int AttributeMaxSharedMemoryPerBlock = 8;
    public const int AttributeMultiprocessorCount = 16;
    public const int AttributeL2CacheSize = 38;
    public const int AttributeComputeCapabilityMajor = 75;
    public const int AttributeComputeCapabilityMinor = 76;
    public const int AttributeMaxSharedMemoryPerBlockOptin = 97;
    public const int FunctionAttributeMaxThreadsPerBlock = 0;
    public const int FunctionAttributeMaxDynamicSharedSizeBytes = 8;

    private static readonly Lazy<(CudaDriver? Driver, string Reason)> SharedInstance = new(Load);

    private readonly delegate* unmanaged<int, int> _cuInit;
    private readonly delegate* unmanaged<int*, int> _cuDriverGetVersion;
    private readonly delegate* unmanaged<int*, int> _cuDeviceGetCount;
    private readonly delegate* unmanaged<int*, int, int> _cuDeviceGet;
    private readonly delegate* unmanaged<int*, int, int, int> _cuDeviceGetAttribute;
    private readonly delegate* unmanaged<byte*, int, int, int> _cuDeviceGetName;
    private readonly delegate* unmanaged<IntPtr*, int, int> _cuDevicePrimaryCtxRetain;
    private readonly delegate* unmanaged<IntPtr, int> _cuCtxSetCurrent;
    private readonly delegate* unmanaged<int> _cuCtxSynchronize;
    private readonly delegate* unmanaged<IntPtr*, void*, int> _cuModuleLoadData;
    private readonly delegate* unmanaged<IntPtr*, IntPtr, byte*, int> _cuModuleGetFunction;
    private readonly delegate* unmanaged<IntPtr, int, int, int> _cuFuncSetAttribute;
    private readonly delegate* unmanaged<int*, int, IntPtr, int> _cuFuncGetAttribute;
    private readonly delegate* unmanaged<int*, IntPtr, int, nuint, int> _cuOccupancyMaxActiveBlocksPerMultiprocessor;
    private readonly delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int> _cuLaunchKernel;
    private readonly delegate* unmanaged<ulong*, nuint, int> _cuMemAlloc;
    private readonly delegate* unmanaged<ulong, int> _cuMemFree;
    private readonly delegate* unmanaged<ulong, void*, nuint, int> _cuMemcpyHtoD;
    private readonly delegate* unmanaged<void*, ulong, nuint, int> _cuMemcpyDtoH;
    private readonly delegate* unmanaged<ulong, ulong, nuint, int> _cuMemcpyDtoD;
    private readonly delegate* unmanaged<ulong, ushort, nuint, int> _cuMemsetD16;
    private readonly delegate* unmanaged<ulong, uint, nuint, int> _cuMemsetD32;
    private readonly delegate* unmanaged<IntPtr*, uint, int> _cuEventCreate;
    private readonly delegate* unmanaged<IntPtr, IntPtr, int> _cuEventRecord;
    private readonly delegate* unmanaged<IntPtr, int> _cuEventSynchronize;
    private readonly delegate* unmanaged<float*, IntPtr, IntPtr, int> _cuEventElapsedTime;
    private readonly delegate* unmanaged<IntPtr, int> _cuEventDestroy;
    private readonly delegate* unmanaged<int, byte**, int> _cuGetErrorString;
    private readonly delegate* unmanaged<int, byte**, int> _cuGetErrorName;
    private readonly delegate* unmanaged<nuint*, nuint*, int> _cuMemGetInfo;

    private CudaDriver(IntPtr library, string name)
    {
        LibraryName = name;
        IntPtr F(string symbol) => NativeLibraryProbe.Export(library, name, symbol);
        _cuInit = (delegate* unmanaged<int, int>)F("cuInit");
        _cuDriverGetVersion = (delegate* unmanaged<int*, int>)F("cuDriverGetVersion");
        _cuDeviceGetCount = (delegate* unmanaged<int*, int>)F("cuDeviceGetCount");
        _cuDeviceGet = (delegate* unmanaged<int*, int, int>)F("cuDeviceGet");
        _cuDeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)F("cuDeviceGetAttribute");
        _cuDeviceGetName = (delegate* unmanaged<byte*, int, int, int>)F("cuDeviceGetName");
        _cuDevicePrimaryCtxRetain = (delegate* unmanaged<IntPtr*, int, int>)F("cuDevicePrimaryCtxRetain");
        _cuCtxSetCurrent = (delegate* unmanaged<IntPtr, int>)F("cuCtxSetCurrent");
        _cuCtxSynchronize = (delegate* unmanaged<int>)F("cuCtxSynchronize");
        _cuModuleLoadData = (delegate* unmanaged<IntPtr*, void*, int>)F("cuModuleLoadData");
        _cuModuleGetFunction = (delegate* unmanaged<IntPtr*, IntPtr, byte*, int>)F("cuModuleGetFunction");
        _cuFuncSetAttribute = (delegate* unmanaged<IntPtr, int, int, int>)F("cuFuncSetAttribute");
        _cuFuncGetAttribute = (delegate* unmanaged<int*, int, IntPtr, int>)F("cuFuncGetAttribute");
        _cuOccupancyMaxActiveBlocksPerMultiprocessor = (delegate* unmanaged<int*, IntPtr, int, nuint, int>)F("cuOccupancyMaxActiveBlocksPerMultiprocessor");
        _cuLaunchKernel = (delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int>)F("cuLaunchKernel");
        _cuMemAlloc = (delegate* unmanaged<ulong*, nuint, int>)F("cuMemAlloc_v2");
        _cuMemFree = (delegate* unmanaged<ulong, int>)F("cuMemFree_v2");
        _cuMemcpyHtoD = (delegate* unmanaged<ulong, void*, nuint, int>)F("cuMemcpyHtoD_v2");
        _cuMemcpyDtoH = (delegate* unmanaged<void*, ulong, nuint, int>)F("cuMemcpyDtoH_v2");
        _cuMemcpyDtoD = (delegate* unmanaged<ulong, ulong, nuint, int>)F("cuMemcpyDtoD_v2");
        _cuMemsetD16 = (delegate* unmanaged<ulong, ushort, nuint, int>)F("cuMemsetD16_v2");
        _cuMemsetD32 = (delegate* unmanaged<ulong, uint, nuint, int>)F("cuMemsetD32_v2");
        _cuEventCreate = (delegate* unmanaged<IntPtr*, uint, int>)F("cuEventCreate");
        _cuEventRecord = (delegate* unmanaged<IntPtr, IntPtr, int>)F("cuEventRecord");
        _cuEventSynchronize = (delegate* unmanaged<IntPtr, int>)F("cuEventSynchronize");
        _cuEventElapsedTime = (delegate* unmanaged<float*, IntPtr, IntPtr, int>)F("cuEventElapsedTime");
        _cuEventDestroy = (delegate* unmanaged<IntPtr, int>)F("cuEventDestroy_v2");
        _cuGetErrorString = (delegate* unmanaged<int, byte**, int>)F("cuGetErrorString");
        _cuGetErrorName = (delegate* unmanaged<int, byte**, int>)F("cuGetErrorName");
        _cuMemGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)F("cuMemGetInfo_v2");
    }

    /// <summary>Gets the file name the driver library was loaded from.</summary>
    public string LibraryName { get; }

    /// <summary>Gets the process-wide driver, initialized, or null when none could be loaded (see <see cref="LoadFailure"/>).</summary>
    public static CudaDriver? Shared => SharedInstance.Value.Driver;

    /// <summary>Gets why <see cref="Shared"/> is null, or an empty string.</summary>
    public static string LoadFailure => SharedInstance.Value.Reason;

    /// <summary>Gets the shared driver or throws a clear error saying why there is none.</summary>
    public static CudaDriver Require() =>
        Shared ?? throw new InvalidOperationException("The CUDA driver is not usable: " + LoadFailure);

    public int DriverVersion
    {
        get
        {
            int version;
            Check(_cuDriverGetVersion(&version), "cuDriverGetVersion");
            return version;
        }
    }

    public int DeviceCount
    {
        get
        {
            int count;
            Check(_cuDeviceGetCount(&count), "cuDeviceGetCount");
            return count;
        }
    }

    public int GetDevice(int ordinal)
    {
        int device;
        Check(_cuDeviceGet(&device, ordinal), "cuDeviceGet");
        return device;
    }

    public int GetAttribute(int device, int attribute)
    {
        int value;
        Check(_cuDeviceGetAttribute(&value, attribute, device), "cuDeviceGetAttribute");
        return value;
    }

    public string GetDeviceName(int device)
    {
        var buffer = stackalloc byte[256];
        Check(_cuDeviceGetName(buffer, 256, device), "cuDeviceGetName");
        return Marshal.PtrToStringUTF8((IntPtr)buffer) ?? string.Empty;
    }

    /// <summary>Retains the device's primary context: the one the CUDA runtime, and so libtorch, uses.</summary>
    public IntPtr RetainPrimaryContext(int device)
    {
        IntPtr context;
        Check(_cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
        return context;
    }

    public void SetCurrentContext(IntPtr context) => Check(_cuCtxSetCurrent(context), "cuCtxSetCurrent");

    public void Synchronize() => Check(_cuCtxSynchronize(), "cuCtxSynchronize");

    public IntPtr LoadModule(byte[] image)
    {
        IntPtr module;
        fixed (byte* data = image)
        {
            Check(_cuModuleLoadData(&module, data), "cuModuleLoadData");
        }

        return module;
    }

    public IntPtr GetFunction(IntPtr module, string name)
    {
        IntPtr function;
        var bytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* namePointer = bytes)
        {
            Check(_cuModuleGetFunction(&function, module, namePointer), "cuModuleGetFunction(" + name + ")");
        }

        return function;
    }

    public void SetFunctionAttribute(IntPtr function, int attribute, int value) =>
        Check(_cuFuncSetAttribute(function, attribute, value), "cuFuncSetAttribute");

    public int GetFunctionAttribute(IntPtr function, int attribute)
    {
        int value;
        Check(_cuFuncGetAttribute(&value, attribute, function), "cuFuncGetAttribute");
        return value;
    }

    public int MaxActiveBlocksPerMultiprocessor(IntPtr function, int blockSize, int dynamicSharedBytes)
    {
        int blocks;
        Check(_cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, function, blockSize, (nuint)dynamicSharedBytes),
            "cuOccupancyMaxActiveBlocksPerMultiprocessor");
        return blocks;
    }

    /// <summary>Launches on stream 0, the legacy default stream, which is the stream libtorch runs its work on.</summary>
    public void Launch(IntPtr function, string name, uint gridX, uint gridY, uint blockX, uint blockY, uint sharedBytes, void** arguments) =>
        Check(_cuLaunchKernel(function, gridX, gridY, 1, blockX, blockY, 1, sharedBytes, IntPtr.Zero, arguments, null),
            "cuLaunchKernel(" + name + ")");

    public ulong Allocate(long bytes)
    {
        ulong pointer;
        Check(_cuMemAlloc(&pointer, (nuint)bytes), "cuMemAlloc");
        return pointer;
    }

    public void Free(ulong pointer) => Check(_cuMemFree(pointer), "cuMemFree");

    /// <summary>Gets the free and total memory of the current context's device, in bytes (free excludes what any
    /// allocator, libtorch's cache included, holds).</summary>
    public (long Free, long Total) GetMemoryInfo()
    {
        nuint free, total;
        Check(_cuMemGetInfo(&free, &total), "cuMemGetInfo");
        return ((long)free, (long)total);
    }

    public void CopyToDevice(ulong destination, void* source, long bytes) =>
        Check(_cuMemcpyHtoD(destination, source, (nuint)bytes), "cuMemcpyHtoD");

    public void CopyToHost(void* destination, ulong source, long bytes) =>
        Check(_cuMemcpyDtoH(destination, source, (nuint)bytes), "cuMemcpyDtoH");

    public void CopyDeviceToDevice(ulong destination, ulong source, long bytes) =>
        Check(_cuMemcpyDtoD(destination, source, (nuint)bytes), "cuMemcpyDtoD");

    public void Fill16(ulong destination, ushort value, long count) =>
        Check(_cuMemsetD16(destination, value, (nuint)count), "cuMemsetD16");

    public void Fill32(ulong destination, uint value, long count) =>
        Check(_cuMemsetD32(destination, value, (nuint)count), "cuMemsetD32");

    public IntPtr CreateEvent()
    {
        IntPtr cudaEvent;
        Check(_cuEventCreate(&cudaEvent, 0), "cuEventCreate");
        return cudaEvent;
    }

    public void RecordEvent(IntPtr cudaEvent) => Check(_cuEventRecord(cudaEvent, IntPtr.Zero), "cuEventRecord");

    public float ElapsedMilliseconds(IntPtr start, IntPtr end)
    {
        Check(_cuEventSynchronize(end), "cuEventSynchronize");
        float milliseconds;
        Check(_cuEventElapsedTime(&milliseconds, start, end), "cuEventElapsedTime");
        return milliseconds;
    }

    public void DestroyEvent(IntPtr cudaEvent) => Check(_cuEventDestroy(cudaEvent), "cuEventDestroy");

    /// <summary>Throws <see cref="CudaException"/> unless <paramref name="result"/> is CUDA_SUCCESS.</summary>
    public void Check(int result, string call)
    {
        if (result != 0)
        {
            throw new CudaException(call, result, $"{call} failed: {Describe(result)}");
        }
    }

    /// <summary>Returns "CUDA_ERROR_NAME (code): text" for a result code.</summary>
    public string Describe(int result)
    {
        byte* name = null;
        byte* text = null;
        _ = _cuGetErrorName(result, &name);
        _ = _cuGetErrorString(result, &text);
        var nameText = name is null ? "CUDA_ERROR_UNKNOWN" : Marshal.PtrToStringUTF8((IntPtr)name);
        var message = text is null ? "unrecognized error code" : Marshal.PtrToStringUTF8((IntPtr)text);
        return $"{nameText} ({result}): {message}";
    }

    private static (CudaDriver? Driver, string Reason) Load()
    {
        var candidates = OperatingSystem.IsWindows()
            ? new[] { "nvcuda.dll" }
            : new[] { "libcuda.so.1", "libcuda.so" };
        if (!NativeLibraryProbe.TryLoad(candidates, out var library, out var name, out var failures))
        {
            return (null, "no CUDA driver library found (" + failures + "); install the NVIDIA driver.");
        }

        CudaDriver driver;
        try
        {
            driver = new CudaDriver(library, name);
        }
        catch (EntryPointNotFoundException exception)
        {
            return (null, exception.Message);
        }

        var result = driver._cuInit(0);
        if (result != 0)
        {
            return (null, "cuInit failed: " + driver.Describe(result));
        }

        return (driver, string.Empty);
    }
}
