namespace Srt.Datasets;

/// <summary>
/// A dataset file holds a record that cannot be read. The message starts with <c>file(line):</c> for a JSONL line and
/// <c>file(row N):</c> for a row of a JSON array or Parquet file.
/// </summary>
public sealed class DatasetFormatException : FormatException
{
    /// <summary>Initializes a new instance of the <see cref="DatasetFormatException"/> class for a line of a JSONL file.</summary>
    /// <param name="filePath">The file.</param>
    /// <param name="lineNumber">The 1-based line number.</param>
    /// <param name="problem">What is wrong with the line.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DatasetFormatException(string filePath, int lineNumber, string problem, Exception? innerException = null)
        : this(filePath, lineNumber, isLine: true, column: null, problem, innerException)
    {
    }

    internal DatasetFormatException(string filePath, int number, bool isLine, string? column, string problem, Exception? innerException)
        : base($"{filePath}({(isLine ? number.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"row {number}")}): {problem}", innerException)
    {
        FilePath = filePath;
        LineNumber = number;
        IsRow = !isLine;
        Column = column;
    }

    /// <summary>Gets the file.</summary>
    public string FilePath { get; }

    /// <summary>Gets the 1-based line of a JSONL file, or the 1-based row of a JSON array or Parquet file (see <see cref="IsRow"/>).</summary>
    public int LineNumber { get; }

    /// <summary>Gets a value indicating whether <see cref="LineNumber"/> counts rows (JSON array, Parquet) rather than lines (JSONL).</summary>
    public bool IsRow { get; }

    /// <summary>Gets the column at fault, or <see langword="null"/> when the problem is the record as a whole.</summary>
    public string? Column { get; }
}
