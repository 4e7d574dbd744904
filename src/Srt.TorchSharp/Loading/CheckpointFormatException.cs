namespace Srt.TorchSharp.Loading;

/// <summary>
/// A weight file or checkpoint folder is malformed or does not match the model: bad safetensors header, offsets,
/// dtype or size, missing shard, or tensors missing, unexpected or mis-shaped. The message names the file and tensor.
/// </summary>
public sealed class CheckpointFormatException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The offending file.</param>
    /// <param name="tensorName">The offending tensor, when one is to blame.</param>
    /// <param name="problem">What is wrong, phrased to follow the file and tensor names.</param>
    public CheckpointFormatException(string filePath, string? tensorName, string problem)
        : base(tensorName is null ? $"{filePath}: {problem}" : $"{filePath}: tensor '{tensorName}': {problem}")
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The offending file.</summary>
    public string FilePath { get; }

    /// <summary>The offending tensor, or null when the problem is the file as a whole.</summary>
    public string? TensorName { get; }
}
