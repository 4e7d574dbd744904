namespace Srt.TorchSharp.GpuSelfTest;

/// <summary>
/// One checked output of one kernel run, with its timing when the case was timed: device time per launch in a full
/// queue (<see cref="MedianMicroseconds"/>) and a lone launch between two events (<see cref="SingleLaunchMicroseconds"/>).
/// </summary>
internal sealed record CheckResult(
    string Kernel,
    string DType,
    string Shape,
    string Output,
    double RelativeError,
    double Threshold,
    double? MedianMicroseconds = null,
    double? Bytes = null,
    double? GigabytesPerSecond = null,
    double? PercentOfCopy = null,
    string? Error = null,
    double? SingleLaunchMicroseconds = null)
{
    public bool Passed => Error is null && RelativeError <= Threshold;
}
