using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Srt.OpenAI;

/// <summary>
/// The batch state of one run directory: <c>batches.jsonl</c> (every step, appended and flushed before the next
/// step starts), <c>requests/</c> (the request files, by digest) and <c>outputs/</c> (each ended batch's downloaded
/// output and error files). Reading it back tells a rerun which batches exist, so none is created or paid for twice.
/// </summary>
internal sealed class BatchLedger : IDisposable
{
    private readonly JsonlStore<BatchStateRecord> _store;
    private readonly List<BatchSubmission> _submissions = [];
    private readonly string _folder;

    private BatchLedger(string folder, ILogger logger)
    {
        _folder = folder;
        _store = new JsonlStore<BatchStateRecord>(Path.Combine(folder, RunLayout.BatchStatesFileName), logger: logger);
        var byDigest = new Dictionary<string, BatchSubmission>(StringComparer.Ordinal);
        foreach (BatchStateRecord record in _store.ReadAll())
        {
            if (record.Event == "run")
            {
                if (RunId.Length == 0 && record.RunId is not null)
                {
                    RunId = record.RunId;
                }

                continue;
            }

            if (record.Digest is null)
            {
                continue;
            }

            if (record.Event == "file")
            {
                string path = RequestPath(record.Digest);
                if (!File.Exists(path))
                {
                    throw new InvalidDataException($"{_store.FilePath}: the request file {path} it names is missing; restore it, or delete the batch state folder to start the batches afresh (batches already created would then be paid again).");
                }

                var submission = new BatchSubmission(record.Digest, path, BatchRequestFile.Read(path), record.EstimatedTokens ?? 0);
                byDigest[record.Digest] = submission;
                _submissions.Add(submission);
                continue;
            }

            if (!byDigest.TryGetValue(record.Digest, out BatchSubmission? known))
            {
                continue;
            }

            switch (record.Event)
            {
                case "uploaded":
                    known.FileId = record.FileId;
                    break;
                case "creating":
                    known.CreatingAt = record.At;
                    break;
                case "created":
                    known.BatchId = record.BatchId;
                    break;
                case "finished":
                    known.FinalStatus = record.Status;
                    known.FinalReason = record.Reason;
                    break;
            }
        }

        if (RunId.Length == 0)
        {
            // A nonce of this run directory, part of every digest, so a batch of another run never matches.
            RunId = Guid.NewGuid().ToString("N");
            _store.Append(new BatchStateRecord("run") { RunId = RunId, At = DateTimeOffset.UtcNow });
        }
    }

    public string RunId { get; private set; } = string.Empty;

    public IReadOnlyList<BatchSubmission> Submissions => _submissions;

    public static BatchLedger Open(string folder, ILogger logger)
    {
        Directory.CreateDirectory(folder);
        return new BatchLedger(folder, logger);
    }

    /// <summary>Writes a request file and records it; the digest names it, and goes into the batch's metadata.</summary>
    public BatchSubmission Prepare(IReadOnlyList<BatchLine> lines)
    {
        byte[] content = BatchRequestFile.Content(lines);
        string salt = $"{RunId}\n{_submissions.Count.ToString(CultureInfo.InvariantCulture)}\n";
        byte[] hash = SHA256.HashData([.. Encoding.UTF8.GetBytes(salt), .. content]);
        string digest = Convert.ToHexStringLower(hash)[..32];
        string path = RequestPath(digest);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        WriteAtomically(path, content);
        long tokens = lines.Sum(line => line.EstimatedTokens);
        _store.Append(new BatchStateRecord("file") { Digest = digest, Lines = lines.Count, EstimatedTokens = tokens, At = DateTimeOffset.UtcNow });
        var submission = new BatchSubmission(digest, path, lines, tokens);
        _submissions.Add(submission);
        return submission;
    }

    public void RecordUploaded(BatchSubmission submission, string fileId)
    {
        _store.Append(new BatchStateRecord("uploaded") { Digest = submission.Digest, FileId = fileId, At = DateTimeOffset.UtcNow });
        submission.FileId = fileId;
    }

    public void RecordCreating(BatchSubmission submission, DateTimeOffset at)
    {
        _store.Append(new BatchStateRecord("creating") { Digest = submission.Digest, FileId = submission.FileId, At = at });
        submission.CreatingAt = at;
    }

    public void RecordCreated(BatchSubmission submission, string batchId)
    {
        _store.Append(new BatchStateRecord("created") { Digest = submission.Digest, FileId = submission.FileId, BatchId = batchId, At = DateTimeOffset.UtcNow });
        submission.BatchId = batchId;
    }

    /// <summary>Saves the downloaded output and error files, then records the end; a rerun reads them from disk.</summary>
    public void RecordFinished(BatchSubmission submission, string status, string? reason, string output, string errors)
    {
        Directory.CreateDirectory(Path.Combine(_folder, RunLayout.BatchOutputsFolderName));
        WriteAtomically(OutputPath(submission, "output"), Encoding.UTF8.GetBytes(output));
        WriteAtomically(OutputPath(submission, "errors"), Encoding.UTF8.GetBytes(errors));
        _store.Append(new BatchStateRecord("finished") { Digest = submission.Digest, BatchId = submission.BatchId, Status = status, Reason = reason, At = DateTimeOffset.UtcNow });
        submission.FinalStatus = status;
        submission.FinalReason = reason;
    }

    /// <summary>Reads the saved output and error files of an ended batch.</summary>
    public (string Output, string Errors) ReadOutputs(BatchSubmission submission) =>
        (ReadOrEmpty(OutputPath(submission, "output")), ReadOrEmpty(OutputPath(submission, "errors")));

    public void Dispose() => _store.Dispose();

    private string RequestPath(string digest) => Path.Combine(_folder, RunLayout.BatchRequestsFolderName, digest + ".jsonl");

    private string OutputPath(BatchSubmission submission, string kind) => Path.Combine(_folder, RunLayout.BatchOutputsFolderName, $"{submission.BatchId}.{kind}.jsonl");

    private static string ReadOrEmpty(string path) => File.Exists(path) ? File.ReadAllText(path, Encoding.UTF8) : string.Empty;

    private static void WriteAtomically(string path, byte[] content)
    {
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
