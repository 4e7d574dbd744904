namespace Srt.Datasets;

/// <summary>A dataset file holds a line that cannot be read; the message starts with <c>file(line):</c>.</summary>
public sealed class DatasetFormatException : FormatException
{
    /// <summary>Initializes a new instance of the <see cref="DatasetFormatException"/> class.</summary>
    /// <param name="filePath">The file.</param>
    /// <param name="lineNumber">The 1-based line number.</param>
    /// <param name="problem">What is wrong with the line.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DatasetFormatException(string filePath, int lineNumber, string problem, Exception? innerException = null)
        : base($"{filePath}({lineNumber}): {problem}", innerException)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
    }

    /// <summary>Gets the file.</summary>
    public string FilePath { get; }

    /// <summary>Gets the 1-based line number.</summary>
    public int LineNumber { get; }
}
