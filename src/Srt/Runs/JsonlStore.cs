using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Srt;

/// <summary>
/// An append-only file of JSON records, one per line (JSON Lines, UTF-8), that survives a crash or kill mid-write.
/// </summary>
/// <remarks>
/// Each <see cref="Append"/> writes one whole line and flushes it to the operating system, so a killed process loses
/// at most the line it was writing. That torn last line is skipped with a warning on the next read and cut off the
/// file before the next append, so new records never get glued to the garbage. A malformed line anywhere else is
/// not a crash artefact but damage, and reading fails with the file name and line number.
/// Reads and appends through one instance are serialized, so concurrent callers may share it.
/// </remarks>
/// <typeparam name="T">The record type, serialized with System.Text.Json.</typeparam>
public sealed class JsonlStore<T> : IDisposable
    where T : class
{
    private readonly JsonSerializerOptions _serializerOptions;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private FileStream? _writer;
    private bool _tailChecked;

    /// <summary>Initializes a new instance of the <see cref="JsonlStore{T}"/> class.</summary>
    /// <param name="filePath">The file to read and append to; it and its folder are created on the first append.</param>
    /// <param name="serializerOptions">The serializer settings; <see langword="null"/> uses the run directory's settings (camelCase, enums as strings).</param>
    /// <param name="loggerFactory">Creates the logger that receives the warning about a torn last line; none when <see langword="null"/>.</param>
    public JsonlStore(string filePath, JsonSerializerOptions? serializerOptions = null, ILoggerFactory? loggerFactory = null)
        : this(filePath, loggerFactory?.CreateLogger("Srt.JsonlStore") ?? NullLogger.Instance, serializerOptions)
    {
    }

    // For the loop's own stores, which log under the category of the stage that owns them.
    internal JsonlStore(string filePath, ILogger logger, JsonSerializerOptions? serializerOptions = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        ArgumentNullException.ThrowIfNull(logger);
        FilePath = Path.GetFullPath(filePath);
        _serializerOptions = serializerOptions ?? RunJson.Options;
        _logger = logger;
    }

    /// <summary>Gets the full path of the file.</summary>
    public string FilePath { get; }

    /// <summary>Reads every complete record, in file order.</summary>
    /// <returns>The records; empty when the file does not exist.</returns>
    /// <exception cref="InvalidDataException">A line other than the last one is not a valid record.</exception>
    public IReadOnlyList<T> ReadAll()
    {
        lock (_gate)
        {
            return ReadAndRepair();
        }
    }

    /// <summary>Appends one record as one line and flushes it.</summary>
    /// <param name="record">The record to write.</param>
    public void Append(T record)
    {
        ArgumentNullException.ThrowIfNull(record);
        // One buffer holding the record and its line end, written in one call, so a kill rarely splits them.
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(record, _serializerOptions);
        byte[] line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        lock (_gate)
        {
            if (!_tailChecked)
            {
                ReadAndRepair();
            }

            _writer ??= OpenWriter();
            _writer.Write(line);
            _writer.Flush();
        }
    }

    /// <summary>Replaces the whole file with the given records, atomically (write to a temporary file, then rename).</summary>
    /// <param name="records">The records to write, in order.</param>
    public void Rewrite(IEnumerable<T> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        lock (_gate)
        {
            _writer?.Dispose();
            _writer = null;
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            string temporary = FilePath + ".tmp";
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.Read))
            {
                foreach (T record in records)
                {
                    stream.Write(JsonSerializer.SerializeToUtf8Bytes(record, _serializerOptions));
                    stream.WriteByte((byte)'\n');
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, FilePath, overwrite: true);
            _tailChecked = true;
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    private FileStream OpenWriter()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        return new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
    }

    private List<T> ReadAndRepair()
    {
        var records = new List<T>();
        _tailChecked = true;
        if (!File.Exists(FilePath))
        {
            return records;
        }

        // Flush our own pending bytes first; reading goes through a separate handle.
        _writer?.Flush();
        byte[] bytes;
        using (var stream = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }

        int lineStart = 0;
        int lineNumber = 0;
        long lastGoodEnd = 0;
        while (lineStart < bytes.Length)
        {
            lineNumber++;
            int newline = Array.IndexOf(bytes, (byte)'\n', lineStart);
            bool terminated = newline >= 0;
            int lineEnd = terminated ? newline : bytes.Length;
            int next = terminated ? newline + 1 : bytes.Length;
            var span = new ReadOnlySpan<byte>(bytes, lineStart, lineEnd - lineStart);
            bool isLast = next >= bytes.Length;

            if (span.Trim((byte)'\r').Trim((byte)' ').IsEmpty)
            {
                lastGoodEnd = terminated ? next : lastGoodEnd;
            }
            else if (TryDeserialize(span, out T? record, out string? error))
            {
                records.Add(record!);
                lastGoodEnd = next;
                if (!terminated)
                {
                    // The record was written whole but its line end was not: finish the line rather than lose it.
                    AppendLineEnd();
                    lastGoodEnd++;
                }
            }
            else if (isLast)
            {
                // A line cut short by a crash: drop it so the next append starts on a clean line.
                string why = terminated ? "is not valid JSON" : "is cut short";
                _logger.LogWarning(
                    "Skipping torn last line {LineNumber} of {FilePath} ({Why}); a crash or kill probably interrupted its write.",
                    lineNumber,
                    FilePath,
                    why);
                TruncateTo(lastGoodEnd);
            }
            else
            {
                TryDeserialize(span, out _, out error);
                throw new InvalidDataException(
                    $"{FilePath}({lineNumber}): line {lineNumber} is not a valid {typeof(T).Name}: {error}");
            }

            lineStart = next;
        }

        return records;
    }

    private bool TryDeserialize(ReadOnlySpan<byte> line, out T? record, out string? error)
    {
        try
        {
            record = JsonSerializer.Deserialize<T>(line, _serializerOptions);
            error = record is null ? "the line is JSON null" : null;
            return record is not null;
        }
        catch (JsonException exception)
        {
            record = null;
            error = exception.Message;
            return false;
        }
    }

    private void AppendLineEnd()
    {
        _writer?.Dispose();
        _writer = null;
        using var stream = new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        stream.WriteByte((byte)'\n');
    }

    private void TruncateTo(long length)
    {
        _writer?.Dispose();
        _writer = null;
        using var stream = new FileStream(FilePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.SetLength(length);
        stream.Flush(flushToDisk: true);
    }
}
