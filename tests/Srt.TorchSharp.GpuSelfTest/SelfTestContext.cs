using System.Globalization;
using System.Text;
using System.Text.Json;
using Srt.TorchSharp.Kernels.Cuda;

namespace Srt.TorchSharp.GpuSelfTest;

/// <summary>Shared state of one self-test run: the device, timing with CUDA events, and the JSON-lines record.</summary>
internal sealed class SelfTestContext
{
    private readonly TextWriter? _file;

    public SelfTestContext(CudaDevice device, TextWriter? file, int repetitions)
    {
        Device = device;
        Launcher = new FusedKernelLauncher(device);
        _file = file;
        Repetitions = repetitions;
    }

    public CudaDevice Device { get; }

    public CudaDriver Driver => Device.Driver;

    public FusedKernelLauncher Launcher { get; }

    public int Repetitions { get; }

    /// <summary>Gets the device-to-device copy bandwidth (bytes read + written per second, in GB/s) of this run.</summary>
    public double CopyGigabytesPerSecond { get; private set; }

    public List<CheckResult> Results { get; } = new();

    public static double Threshold(KernelElementType type) => type == KernelElementType.Float32 ? 1e-5 : 1e-2;

    /// <summary>Gets the median single-launch time of the last <see cref="MedianMilliseconds"/> call.</summary>
    public double LastSingleLaunchMilliseconds { get; private set; }

    /// <summary>
    /// Device time per launch in milliseconds: the median over <see cref="Repetitions"/> event-timed batches of
    /// <see cref="LaunchesPerBatch"/> back-to-back launches (the queue stays full, as in training, so the host's
    /// submission time is hidden), after a warm-up. Also measures single launches between two events, which include
    /// the host's submission latency (<see cref="LastSingleLaunchMilliseconds"/>).
    /// </summary>
    public double MedianMilliseconds(Action launch)
    {
        for (var i = 0; i < 5; i++)
        {
            launch();
        }

        Driver.Synchronize();
        var start = Driver.CreateEvent();
        var end = Driver.CreateEvent();
        try
        {
            var singles = new List<double>(Repetitions);
            var batches = new List<double>(Repetitions);
            for (var i = 0; i < Repetitions; i++)
            {
                Driver.RecordEvent(start);
                launch();
                Driver.RecordEvent(end);
                singles.Add(Driver.ElapsedMilliseconds(start, end));
            }

            for (var i = 0; i < Repetitions; i++)
            {
                Driver.RecordEvent(start);
                for (var j = 0; j < LaunchesPerBatch; j++)
                {
                    launch();
                }

                Driver.RecordEvent(end);
                batches.Add(Driver.ElapsedMilliseconds(start, end) / LaunchesPerBatch);
            }

            LastSingleLaunchMilliseconds = Median(singles);
            return Median(batches);
        }
        finally
        {
            Driver.DestroyEvent(start);
            Driver.DestroyEvent(end);
        }
    }

    public const int LaunchesPerBatch = 10;

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    /// <summary>Measures a 1 GiB device-to-device copy; the reference every kernel's bandwidth is compared with.</summary>
    public void MeasureCopy()
    {
        const long bytes = 1L << 30;
        var source = Driver.Allocate(bytes);
        var destination = Driver.Allocate(bytes);
        try
        {
            Driver.Fill32(source, 0x3f800000u, bytes / 4);
            var ms = MedianMilliseconds(() => Driver.CopyDeviceToDevice(destination, source, bytes));
            CopyGigabytesPerSecond = 2.0 * bytes / (ms * 1e-3) / 1e9;
            WriteJson(new Dictionary<string, object?>
            {
                ["event"] = "copy", ["bytes_per_copy"] = bytes, ["median_us"] = ms * 1e3,
                ["single_launch_us"] = LastSingleLaunchMilliseconds * 1e3,
                ["gbps_read_plus_write"] = CopyGigabytesPerSecond,
            });
        }
        finally
        {
            Driver.Free(source);
            Driver.Free(destination);
        }
    }

    /// <summary>Records one output's check, with timing when <paramref name="milliseconds"/> is given.</summary>
    public void Record(string kernel, KernelElementType type, string shape, string output, double error,
        double? milliseconds = null, double? bytes = null)
    {
        double? gbps = milliseconds is { } ms && bytes is { } b ? b / (ms * 1e-3) / 1e9 : null;
        double? percent = gbps is { } g && CopyGigabytesPerSecond > 0 ? 100.0 * g / CopyGigabytesPerSecond : null;
        var result = new CheckResult(kernel, type.Suffix(), shape, output, error, Threshold(type),
            milliseconds * 1e3, bytes, gbps, percent,
            SingleLaunchMicroseconds: milliseconds is null ? null : LastSingleLaunchMilliseconds * 1e3);
        Add(result);
    }

    public void RecordFailure(string kernel, KernelElementType type, string shape, Exception exception)
    {
        Add(new CheckResult(kernel, type.Suffix(), shape, "-", double.NaN, Threshold(type),
            Error: exception.GetType().Name + ": " + exception.Message));
    }

    public void WriteJson(IReadOnlyDictionary<string, object?> fields)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in fields)
            {
                switch (value)
                {
                    case null: writer.WriteNull(key); break;
                    case string s: writer.WriteString(key, s); break;
                    case bool flag: writer.WriteBoolean(key, flag); break;
                    case int i: writer.WriteNumber(key, i); break;
                    case long l: writer.WriteNumber(key, l); break;
                    case double d when double.IsFinite(d): writer.WriteNumber(key, Math.Round(d, 9)); break;
                    case double d: writer.WriteString(key, d.ToString(CultureInfo.InvariantCulture)); break;
                    default: writer.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
                }
            }

            writer.WriteEndObject();
        }

        var line = Encoding.UTF8.GetString(stream.ToArray());
        Console.WriteLine(line);
        _file?.WriteLine(line);
        _file?.Flush();
    }

    private void Add(CheckResult result)
    {
        Results.Add(result);
        WriteJson(new Dictionary<string, object?>
        {
            ["event"] = "check", ["kernel"] = result.Kernel, ["dtype"] = result.DType, ["shape"] = result.Shape,
            ["output"] = result.Output, ["rel_error"] = result.RelativeError, ["threshold"] = result.Threshold,
            ["passed"] = result.Passed, ["median_us"] = result.MedianMicroseconds, ["bytes"] = result.Bytes,
            ["gbps"] = result.GigabytesPerSecond, ["pct_of_copy"] = result.PercentOfCopy,
            ["single_launch_us"] = result.SingleLaunchMicroseconds, ["error"] = result.Error,
        });
    }
}
