using System.Collections.Concurrent;
using Srt.TorchSharp.Kernels.Cpu;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels;

[Collection(TorchSharpCollection.Name)]
public sealed class KernelWorkersTests
{
    [Fact]
    public void OpenMpTeam_LibtorchLoaded_FoundExactlyOnLinux()
    {
        using var loaded = zeros(1);

        // The CPU packages ship libgomp beside libtorch_cpu on Linux only; elsewhere the kernels keep their own threads.
        Assert.Equal(OperatingSystem.IsLinux(), OpenMpTeam.IsAvailable);
        Assert.Equal(OperatingSystem.IsLinux(), KernelWorkers.Shared.OnOpenMpTeam);
        Assert.False(new KernelWorkers(borrowOpenMpTeam: false).OnOpenMpTeam);
    }

    [Fact]
    public void OpenMpTeam_TwoThreads_RunsTheWorkOnTwoThreadsBeforeReturning()
    {
        using var loaded = zeros(1);
        if (!OperatingSystem.IsLinux())
        {
            Assert.Throws<InvalidOperationException>(() => OpenMpTeam.Run(() => { }, 2));
            return;
        }
        var threads = new ConcurrentBag<int>();
        var finished = 0;

        OpenMpTeam.Run(() =>
        {
            threads.Add(Environment.CurrentManagedThreadId);
            Thread.Sleep(20);
            Interlocked.Increment(ref finished);
        }, threads: 2);

        // Both team members ran it, and Run waited for the slower one.
        Assert.Equal(2, Volatile.Read(ref finished));
        Assert.Equal(2, threads.Distinct().Count());
        Assert.Contains(Environment.CurrentManagedThreadId, threads);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Run_ManyBlocks_EachBlockRunsExactlyOnce(bool borrowOpenMpTeam)
    {
        using var loaded = zeros(1);
        var workers = new KernelWorkers(borrowOpenMpTeam);
        var counts = new int[5000];

        for (var round = 0; round < 20; round++)
        {
            workers.Run(counts.Length, 2, block => Interlocked.Increment(ref counts[block]));
        }

        Assert.All(counts, count => Assert.Equal(20, count));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Run_OneBlockThrows_RethrowsAfterTheOtherBlocksRan(bool borrowOpenMpTeam)
    {
        using var loaded = zeros(1);
        var workers = new KernelWorkers(borrowOpenMpTeam);
        var ran = new int[64];

        var error = Assert.Throws<AggregateException>(() => workers.Run(ran.Length, 2, block =>
        {
            ran[block] = 1;
            if (block == 7)
            {
                throw new InvalidOperationException("block 7");
            }
        }));

        Assert.Equal("block 7", Assert.IsType<InvalidOperationException>(error.InnerException).Message);
        Assert.All(ran, flag => Assert.Equal(1, flag));
        // The workers are usable again after a failed job.
        var after = 0;
        workers.Run(10, 2, _ => Interlocked.Increment(ref after));
        Assert.Equal(10, after);
    }
}
