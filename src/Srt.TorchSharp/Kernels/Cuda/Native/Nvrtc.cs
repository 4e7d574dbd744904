using System.Runtime.InteropServices;
using System.Text;

namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// NVRTC, CUDA's run-time compiler, bound at run time. The library is searched as <c>libnvrtc.so.13</c>,
/// <c>libnvrtc.so.12</c>, <c>libnvrtc.so.11.2</c>, then <c>libnvrtc.so</c> on the normal library path (so set
/// <c>LD_LIBRARY_PATH</c> to a CUDA toolkit's <c>lib64</c> or a pip wheel's <c>nvidia/cu13/lib</c>), unless the
/// environment variable <c>SRT_NVRTC_PATH</c> names the file to use.
/// </summary>
internal sealed unsafe class Nvrtc
{
    /// <summary>The environment variable that names the NVRTC library file to load instead of searching.</summary>
    public const string PathVariable = "SRT_NVRTC_PATH";

    private static readonly Lazy<(Nvrtc? Compiler, string Reason)> SharedInstance = new(Load);

    private readonly delegate* unmanaged<int*, int*, int> _nvrtcVersion;
    private readonly delegate* unmanaged<IntPtr*, byte*, byte*, int, byte**, byte**, int> _nvrtcCreateProgram;
    private readonly delegate* unmanaged<IntPtr, int, byte**, int> _nvrtcCompileProgram;
    private readonly delegate* unmanaged<IntPtr, nuint*, int> _nvrtcGetProgramLogSize;
    private readonly delegate* unmanaged<IntPtr, byte*, int> _nvrtcGetProgramLog;
    private readonly delegate* unmanaged<IntPtr, nuint*, int> _nvrtcGetCUBINSize;
    private readonly delegate* unmanaged<IntPtr, byte*, int> _nvrtcGetCUBIN;
    private readonly delegate* unmanaged<IntPtr*, int> _nvrtcDestroyProgram;
    private readonly delegate* unmanaged<int, byte*> _nvrtcGetErrorString;
    private readonly delegate* unmanaged<int*, int> _nvrtcGetNumSupportedArchs;
    private readonly delegate* unmanaged<int*, int> _nvrtcGetSupportedArchs;

    private Nvrtc(IntPtr library, string name)
    {
        LibraryName = name;
        IntPtr F(string symbol) => NativeLibraryProbe.Export(library, name, symbol);
        _nvrtcVersion = (delegate* unmanaged<int*, int*, int>)F("nvrtcVersion");
        _nvrtcCreateProgram = (delegate* unmanaged<IntPtr*, byte*, byte*, int, byte**, byte**, int>)F("nvrtcCreateProgram");
        _nvrtcCompileProgram = (delegate* unmanaged<IntPtr, int, byte**, int>)F("nvrtcCompileProgram");
        _nvrtcGetProgramLogSize = (delegate* unmanaged<IntPtr, nuint*, int>)F("nvrtcGetProgramLogSize");
        _nvrtcGetProgramLog = (delegate* unmanaged<IntPtr, byte*, int>)F("nvrtcGetProgramLog");
        _nvrtcGetCUBINSize = (delegate* unmanaged<IntPtr, nuint*, int>)F("nvrtcGetCUBINSize");
        _nvrtcGetCUBIN = (delegate* unmanaged<IntPtr, byte*, int>)F("nvrtcGetCUBIN");
        _nvrtcDestroyProgram = (delegate* unmanaged<IntPtr*, int>)F("nvrtcDestroyProgram");
        _nvrtcGetErrorString = (delegate* unmanaged<int, byte*>)F("nvrtcGetErrorString");
        _nvrtcGetNumSupportedArchs = (delegate* unmanaged<int*, int>)F("nvrtcGetNumSupportedArchs");
        _nvrtcGetSupportedArchs = (delegate* unmanaged<int*, int>)F("nvrtcGetSupportedArchs");
    }

    /// <summary>Gets the file name NVRTC was loaded from.</summary>
    public string LibraryName { get; }

    /// <summary>Gets the process-wide compiler, or null when none could be loaded (see <see cref="LoadFailure"/>).</summary>
    public static Nvrtc? Shared => SharedInstance.Value.Compiler;

    /// <summary>Gets why <see cref="Shared"/> is null, or an empty string.</summary>
    public static string LoadFailure => SharedInstance.Value.Reason;

    /// <summary>Gets the shared compiler or throws a clear error saying why there is none.</summary>
    public static Nvrtc Require() =>
        Shared ?? throw new InvalidOperationException("NVRTC is not usable: " + LoadFailure);

    /// <summary>Gets NVRTC's version as "major.minor".</summary>
    public string Version
    {
        get
        {
            int major, minor;
            Check(_nvrtcVersion(&major, &minor), "nvrtcVersion");
            return $"{major}.{minor}";
        }
    }

    /// <summary>Gets the sm_XY numbers (XY as an integer) this NVRTC can generate machine code for.</summary>
    public IReadOnlyList<int> SupportedArchitectures
    {
        get
        {
            int count;
            Check(_nvrtcGetNumSupportedArchs(&count), "nvrtcGetNumSupportedArchs");
            var archs = new int[count];
            fixed (int* data = archs)
            {
                Check(_nvrtcGetSupportedArchs(data), "nvrtcGetSupportedArchs");
            }

            return archs;
        }
    }

    /// <summary>
    /// Compiles <paramref name="source"/> (with the named headers available to <c>#include</c>) to a cubin for
    /// <c>sm_{architecture}</c>. A compile error throws <see cref="CudaException"/> carrying NVRTC's log.
    /// </summary>
    public byte[] CompileToCubin(string programName, string source, IReadOnlyDictionary<string, string> headers,
        int architecture, out string log, params string[] extraOptions)
    {
        var options = new[] { $"--gpu-architecture=sm_{architecture}", "--std=c++17", "--restrict" }.Concat(extraOptions).ToArray();
        var allocations = new List<IntPtr>();
        IntPtr Utf8(string text)
        {
            var pointer = Marshal.StringToCoTaskMemUTF8(text);
            allocations.Add(pointer);
            return pointer;
        }

        IntPtr program = IntPtr.Zero;
        try
        {
            var headerNames = headers.Keys.Select(Utf8).ToArray();
            var headerSources = headers.Keys.Select(key => Utf8(headers[key])).ToArray();
            var optionPointers = options.Select(Utf8).ToArray();
            fixed (IntPtr* names = headerNames)
            fixed (IntPtr* sources = headerSources)
            fixed (IntPtr* optionArray = optionPointers)
            {
                Check(_nvrtcCreateProgram(&program, (byte*)Utf8(source), (byte*)Utf8(programName), headers.Count,
                    (byte**)sources, (byte**)names), "nvrtcCreateProgram");
                var compileResult = _nvrtcCompileProgram(program, options.Length, (byte**)optionArray);
                log = ReadLog(program);
                if (compileResult != 0)
                {
                    throw new CudaException("nvrtcCompileProgram", compileResult,
                        $"nvrtcCompileProgram failed for {programName} (sm_{architecture}, {string.Join(' ', options)}): " +
                        $"{ErrorString(compileResult)}{Environment.NewLine}{log}");
                }
            }

            nuint size;
            Check(_nvrtcGetCUBINSize(program, &size), "nvrtcGetCUBINSize");
            var cubin = new byte[(int)size];
            fixed (byte* data = cubin)
            {
                Check(_nvrtcGetCUBIN(program, data), "nvrtcGetCUBIN");
            }

            return cubin;
        }
        finally
        {
            if (program != IntPtr.Zero)
            {
                _ = _nvrtcDestroyProgram(&program);
            }

            allocations.ForEach(Marshal.FreeCoTaskMem);
        }
    }

    private string ReadLog(IntPtr program)
    {
        nuint size;
        Check(_nvrtcGetProgramLogSize(program, &size), "nvrtcGetProgramLogSize");
        if (size <= 1)
        {
            return string.Empty;
        }

        var buffer = new byte[(int)size];
        fixed (byte* data = buffer)
        {
            Check(_nvrtcGetProgramLog(program, data), "nvrtcGetProgramLog");
        }

        return Encoding.UTF8.GetString(buffer, 0, buffer.Length - 1).Trim();
    }

    private string ErrorString(int result) =>
        $"{Marshal.PtrToStringUTF8((IntPtr)_nvrtcGetErrorString(result))} ({result})";

    private void Check(int result, string call)
    {
        if (result != 0)
        {
            throw new CudaException(call, result, $"{call} failed: {ErrorString(result)}");
        }
    }

    private static (Nvrtc? Compiler, string Reason) Load()
    {
        var explicitPath = Environment.GetEnvironmentVariable(PathVariable);
        var candidates = !string.IsNullOrWhiteSpace(explicitPath)
            ? new[] { explicitPath }
            : OperatingSystem.IsWindows()
                ? new[] { "nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll" }
                : new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so" };
        if (!NativeLibraryProbe.TryLoad(candidates, out var library, out var name, out var failures))
        {
            return (null, $"NVRTC not found ({failures}); put a CUDA toolkit's lib64 on LD_LIBRARY_PATH or set {PathVariable}.");
        }

        try
        {
            return (new Nvrtc(library, name), string.Empty);
        }
        catch (EntryPointNotFoundException exception)
        {
            return (null, exception.Message);
        }
    }
}
