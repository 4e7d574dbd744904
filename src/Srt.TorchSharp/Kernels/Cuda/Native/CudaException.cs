namespace Srt.TorchSharp.Kernels.Cuda;

/// <summary>
/// A CUDA driver or NVRTC call failed. The message names the call and the library's own error text.
/// </summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception for a failed call.</summary>
    /// <param name="call">The API function that failed, for example <c>cuLaunchKernel</c>.</param>
    /// <param name="code">The numeric result code the call returned.</param>
    /// <param name="message">The full message.</param>
    public CudaException(string call, int code, string message)
        : base(message)
    {
        Call = call;
        Code = code;
    }

    /// <summary>Gets the API function that failed.</summary>
    public string Call { get; }

    /// <summary>Gets the numeric result code (<c>CUresult</c> or <c>nvrtcResult</c>) the call returned.</summary>
    public int Code { get; }
}
