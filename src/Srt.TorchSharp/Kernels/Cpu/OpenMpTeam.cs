using System.Runtime.InteropServices;

namespace Srt.TorchSharp.Kernels.Cpu;

/// <summary>
/// libtorch's own OpenMP thread team, borrowed for the CPU kernels' parallel blocks. libtorch runs its parallel CPU
/// operations on the GNU OpenMP runtime it ships, whose threads keep spinning for milliseconds after each parallel
/// region (a decoding step samples from a parallel <c>argmax</c> every step, and every prefill runs parallel GEMMs).
/// Threads of our own beside them compete with that spin for the same cores: on 2 cores, a third of a decoding step
/// went to it. On the same team, one set of threads serves the whole step and is already awake between operations.
/// </summary>
/// <remarks>
/// The runtime is the <c>libgomp</c> the process loaded from the folder of <c>libtorch_cpu</c> (Linux). Where there is
/// none (another platform, or a libtorch built with another OpenMP runtime), <see cref="IsAvailable"/> is false and
/// <see cref="KernelWorkers"/> runs helper threads of its own.
/// </remarks>
internal static unsafe class OpenMpTeam
{
    private static readonly object Gate = new();
    private static bool _resolved;
    private static delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void> _parallel;

    /// <summary>Gets a value indicating whether libtorch's OpenMP runtime was found in this process (once libtorch has
    /// loaded; before that, false without caching the answer).</summary>
    public static bool IsAvailable => Resolve() != null;

    /// <summary>Runs <paramref name="work"/> once on each of <paramref name="threads"/> threads of the calling thread's
    /// team (the caller is one of them) and returns when all have returned. <paramref name="work"/> must not throw: an
    /// exception cannot unwind through the native runtime, so one that escapes ends the process.</summary>
    public static void Run(Action work, int threads)
    {
        var parallel = Resolve();
        if (parallel == null)
        {
            throw new InvalidOperationException("libtorch's OpenMP runtime is not loaded in this process.");
        }
        var handle = GCHandle.Alloc(work);
        try
        {
            parallel(&Enter, GCHandle.ToIntPtr(handle), (uint)threads, 0);
        }
        finally
        {
            handle.Free();
        }
    }

    [UnmanagedCallersOnly]
    private static void Enter(nint state)
    {
        try
        {
            ((Action)GCHandle.FromIntPtr(state).Target!)();
        }
        catch (Exception exception)
        {
            Environment.FailFast("A CPU kernel's parallel work threw on libtorch's OpenMP team.", exception);
        }
    }

    private static delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void> Resolve()
    {
        if (Volatile.Read(ref _resolved))
        {
            return _parallel;
        }
        lock (Gate)
        {
            if (!_resolved)
            {
                var (loaded, runtime) = FindRuntime();
                if (runtime is not null && NativeLibrary.TryLoad(runtime, out var library)
                    && NativeLibrary.TryGetExport(library, "GOMP_parallel", out var parallel))
                {
                    _parallel = (delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void>)parallel;
                }
                // Cached only once libtorch is loaded: before that, there is nothing to find yet.
                Volatile.Write(ref _resolved, loaded);
            }
            return _parallel;
        }
    }

    // Whether libtorch_cpu is mapped into the process, and the libgomp mapped from its folder.
    private static (bool TorchLoaded, string? Runtime) FindRuntime()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/self/maps"))
        {
            return (true, null);
        }
        string? torchFolder = null;
        var runtimes = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                continue;
            }
            var path = line[slash..];
            var name = Path.GetFileName(path);
            if (name == "libtorch_cpu.so")
            {
                torchFolder = Path.GetDirectoryName(path);
            }
            else if (name.StartsWith("libgomp", StringComparison.Ordinal) && name.Contains(".so", StringComparison.Ordinal))
            {
                runtimes.Add(path);
            }
        }
        return (torchFolder is not null, runtimes.FirstOrDefault(path => Path.GetDirectoryName(path) == torchFolder));
    }
}
