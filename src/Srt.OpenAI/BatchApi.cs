using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;

namespace Srt.OpenAI;

#pragma warning disable OPENAI001 // The SDK marks BatchClient as experimental; it is the Batch API's client.

/// <summary>
/// The Batch API calls the batch critic makes (upload, create, list, retrieve, download), each retried on a rate
/// limit, a server error or a dropped connection with backoff on the given clock.
/// </summary>
/// <remarks>
/// The SDK's batch methods are protocol methods returning raw JSON (and <c>CreateBatchOperation</c> exposes no
/// metadata), so batch objects are read from the JSON they return. The SDK's own retries are off: a create it
/// retried after a dropped connection could create a second batch, which this class avoids by listing first.
/// </remarks>
internal sealed partial class BatchApi
{
    public const string DigestKey = "srt_request_digest";
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromMinutes(1);
    private readonly BatchClient _batches;
    private readonly OpenAIFileClient _files;
    private readonly OpenAIBatchOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public BatchApi(OpenAIClient client, OpenAIBatchOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _batches = client.GetBatchClient();
        _files = client.GetOpenAIFileClient();
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public Task<string> UploadAsync(BatchSubmission submission, CancellationToken cancellationToken) =>
        WithRetriesAsync("upload", async () =>
        {
            var stream = File.OpenRead(submission.RequestPath);
            await using (stream.ConfigureAwait(false))
            {
                ClientResult<OpenAIFile> file = await _files.UploadFileAsync(stream, $"srt-{submission.Digest}.jsonl", FileUploadPurpose.Batch, cancellationToken).ConfigureAwait(false);
                return file.Value.Id;
            }
        }, cancellationToken);

    /// <summary>Creates one batch; a failure that may have created it anyway is settled by listing before trying again.</summary>
    public Task<string> CreateAsync(BatchSubmission submission, CancellationToken cancellationToken) =>
        WithRetriesAsync(
            "batch create",
            async () =>
            {
                byte[] body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
                {
                    ["input_file_id"] = submission.FileId!,
                    ["endpoint"] = BatchRequestFile.Endpoint,
                    ["completion_window"] = _options.CompletionWindow,
                    ["metadata"] = new Dictionary<string, string> { [DigestKey] = submission.Digest },
                });
                CreateBatchOperation operation = await _batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromBytes(body)), waitUntilCompleted: false, Options(cancellationToken)).ConfigureAwait(false);
                using JsonDocument created = JsonDocument.Parse(operation.GetRawResponse().Content);
                return created.RootElement.GetProperty("id").GetString()!;
            },
            cancellationToken,
            async exception => IsRateLimit(exception) ? null : await FindAsync(submission.Digest, submission.CreatingAt, cancellationToken).ConfigureAwait(false));

    /// <summary>Finds the batch created for a request file, by the digest in its metadata, among the batches listed newest first.</summary>
    public Task<string?> FindAsync(string digest, DateTimeOffset? since, CancellationToken cancellationToken) =>
        WithRetriesAsync<string?>("batch list", async () =>
        {
            // A batch created before the create was recorded cannot be this one; allow ten minutes of clock skew.
            long oldest = (since ?? DateTimeOffset.MinValue.AddDays(1)).AddMinutes(-10).ToUnixTimeSeconds();
            await foreach (ClientResult page in _batches.GetBatchesAsync(after: null, limit: 100, Options(cancellationToken)).GetRawPagesAsync().ConfigureAwait(false))
            {
                using JsonDocument list = JsonDocument.Parse(page.GetRawResponse().Content);
                foreach (JsonElement batch in list.RootElement.GetProperty("data").EnumerateArray())
                {
                    if (batch.TryGetProperty("metadata", out JsonElement metadata) && metadata.ValueKind == JsonValueKind.Object
                        && metadata.TryGetProperty(DigestKey, out JsonElement value) && value.GetString() == digest)
                    {
                        return batch.GetProperty("id").GetString();
                    }

                    if (batch.TryGetProperty("created_at", out JsonElement createdAt) && createdAt.TryGetInt64(out long seconds) && seconds < oldest)
                    {
                        return null;
                    }
                }
            }

            return null;
        }, cancellationToken);

    public Task<BatchState> RetrieveAsync(string batchId, CancellationToken cancellationToken) =>
        WithRetriesAsync("batch status", async () =>
        {
            ClientResult result = await _batches.GetBatchAsync(batchId, Options(cancellationToken)).ConfigureAwait(false);
            using JsonDocument batch = JsonDocument.Parse(result.GetRawResponse().Content);
            return BatchState.From(batch.RootElement);
        }, cancellationToken);

    public Task<string> DownloadAsync(string? fileId, CancellationToken cancellationToken) =>
        fileId is null
            ? Task.FromResult(string.Empty)
            : WithRetriesAsync("download", async () =>
            {
                ClientResult<BinaryData> content = await _files.DownloadFileAsync(fileId, cancellationToken).ConfigureAwait(false);
                return content.Value.ToString();
            }, cancellationToken);

    private static RequestOptions Options(CancellationToken cancellationToken) => new() { CancellationToken = cancellationToken };

    private static bool IsRateLimit(Exception exception) => exception is ClientResultException { Status: 429 };

    private static bool IsTransient(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        ClientResultException result => result.Status is 0 or 408 or 409 or 429 or >= 500,
        HttpRequestException or IOException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    private async Task<T> WithRetriesAsync<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken, Func<Exception, Task<T?>>? beforeRetry = null)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception exception) when (attempt < _options.MaxAttempts && IsTransient(exception, cancellationToken))
            {
                TimeSpan delay = RetryAfter(exception) ?? TimeSpan.FromTicks(Math.Min(_options.RetryDelay.Ticks * (1L << Math.Min(attempt - 1, 20)), LongestRetryDelay.Ticks));
                LogRetry(what, attempt, _options.MaxAttempts, delay.TotalSeconds, exception.Message);
                await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
                if (beforeRetry is not null && await beforeRetry(exception).ConfigureAwait(false) is T found)
                {
                    return found;
                }
            }
        }
    }

    private static TimeSpan? RetryAfter(Exception exception) =>
        exception is ClientResultException result
        && result.GetRawResponse() is { } response
        && response.Headers.TryGetValue("Retry-After", out string? value)
        && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(Math.Min(seconds, LongestRetryDelay.TotalSeconds))
            : null;

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Batch API {What} failed (attempt {Attempt} of {MaxAttempts}), retrying in {DelaySeconds:F1} s: {Reason}")]
    private partial void LogRetry(string what, int attempt, int maxAttempts, double delaySeconds, string reason);
}
