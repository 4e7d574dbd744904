using System.Diagnostics.CodeAnalysis;

namespace Srt.TorchSharp.Kernels.Cpu;

/// <summary>
/// The threads the CPU kernels split their blocks over: libtorch's own OpenMP team where it can be borrowed
/// (<see cref="OpenMpTeam"/>), else helper threads of our own that stay awake between calls. A decoding step calls
/// the kernels about eight times per layer with a few hundred microseconds of other work in between; waking a sleeping
/// thread pool thread for each call cost about 150 µs per call on the 2-core VM this was measured on (nearly a third of
/// a 100M-parameter step). So each helper keeps polling, yielding its core to any other runnable thread, for
/// <see cref="SpinMilliseconds"/> after its last job before it blocks. Either way the calling thread takes blocks too,
/// so a late thread only means the caller does more of the work.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "One shared instance lives as long as the process; its helper threads wait on the event until exit.")]
internal sealed class KernelWorkers
{
    private const int SpinMilliseconds = 2;

    private readonly object _gate = new();
    private readonly object _running = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly bool _borrowOpenMpTeam;
    private Job? _job;
    private long _generation;
    private int _sleeping;
    private int _workers;

    /// <param name="borrowOpenMpTeam">Whether to run on libtorch's OpenMP team when it is available; false always uses
    /// helper threads of this instance's own.</param>
    public KernelWorkers(bool borrowOpenMpTeam = true)
    {
        _borrowOpenMpTeam = borrowOpenMpTeam;
    }

    /// <summary>Gets the instance the kernels use: on libtorch's OpenMP team where available.</summary>
    public static KernelWorkers Shared { get; } = new();

    /// <summary>Gets a value indicating whether <see cref="Run"/> runs on libtorch's OpenMP team.</summary>
    public bool OnOpenMpTeam => _borrowOpenMpTeam && OpenMpTeam.IsAvailable;

    /// <summary>Runs <paramref name="body"/> for each block in [0, <paramref name="blocks"/>) on the calling thread and
    /// up to <paramref name="degree"/> − 1 helpers, and returns when every block is done.</summary>
    public void Run(int blocks, int degree, Action<int> body)
    {
        // One job at a time: a second caller meanwhile (another generator on another thread) runs alone.
        if (!Monitor.TryEnter(_running))
        {
            for (var block = 0; block < blocks; block++)
            {
                body(block);
            }
            return;
        }
        try
        {
            if (OnOpenMpTeam)
            {
                RunOnOpenMpTeam(blocks, degree, body);
            }
            else
            {
                RunShared(blocks, degree, body);
            }
        }
        finally
        {
            Monitor.Exit(_running);
        }
    }

    private static void RunOnOpenMpTeam(int blocks, int degree, Action<int> body)
    {
        // Every team thread takes blocks until none is left; Work records an exception instead of throwing it.
        var job = new Job(blocks, body, degree - 1);
        OpenMpTeam.Run(job.Work, degree);
        if (job.Error is { } error)
        {
            throw new AggregateException(error);
        }
    }

    private void RunShared(int blocks, int degree, Action<int> body)
    {
        EnsureWorkers(degree - 1);
        var job = new Job(blocks, body, degree - 1);
        Volatile.Write(ref _job, job);
        Interlocked.Increment(ref _generation);
        if (Interlocked.CompareExchange(ref _sleeping, 0, 0) != 0)
        {
            _wake.Set();
        }
        job.Work();
        var wait = new SpinWait();
        while (Volatile.Read(ref job.Done) < blocks)
        {
            wait.SpinOnce(sleep1Threshold: -1);
        }
        Volatile.Write(ref _job, null);
        if (job.Error is { } error)
        {
            throw new AggregateException(error);
        }
    }

    private void EnsureWorkers(int count)
    {
        if (Volatile.Read(ref _workers) >= count)
        {
            return;
        }
        lock (_gate)
        {
            while (_workers < count)
            {
                new Thread(Loop) { IsBackground = true, Name = $"Srt small-row kernel {_workers + 1}" }.Start();
                _workers++;
            }
        }
    }

    private void Loop()
    {
        var seen = Interlocked.Read(ref _generation);
        while (true)
        {
            var idleSince = Environment.TickCount64;
            while (Interlocked.Read(ref _generation) == seen)
            {
                if (Environment.TickCount64 - idleSince > SpinMilliseconds)
                {
                    // Announce the sleep before the last look, so a job published meanwhile either is seen here or
                    // sees the flag and sets the event.
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (Interlocked.Read(ref _generation) == seen)
                    {
                        _wake.Wait();
                    }
                    _wake.Reset();
                    Interlocked.Exchange(ref _sleeping, 0);
                    idleSince = Environment.TickCount64;
                }
                else
                {
                    Thread.Yield();
                }
            }
            seen = Interlocked.Read(ref _generation);
            if (Volatile.Read(ref _job) is { } job && job.Join())
            {
                job.Work();
            }
        }
    }

    private sealed class Job(int blocks, Action<int> body, int helpers)
    {
        public int Done;
        private int _next;
        private int _helpers = helpers;

        private Exception? _error;

        public Exception? Error => Volatile.Read(ref _error);

        /// <summary>Admits at most the number of helpers the caller asked for.</summary>
        public bool Join() => Interlocked.Decrement(ref _helpers) >= 0;

        public void Work()
        {
            int block;
            while ((block = Interlocked.Increment(ref _next) - 1) < blocks)
            {
                try
                {
                    body(block);
                }
                catch (Exception exception)
                {
                    Interlocked.CompareExchange(ref _error, exception, null);
                }
                Interlocked.Increment(ref Done);
            }
        }
    }
}
