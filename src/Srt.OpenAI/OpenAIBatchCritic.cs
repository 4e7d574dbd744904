using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenAI;

namespace Srt.OpenAI;

/// <summary>
/// The OpenAI critic with a batch mode: synchronous critiques and refinements as <see cref="OpenAICritic"/> makes them,
/// and, as <see cref="IBatchCritic"/> (which stage 1 uses when <see cref="SelfRefinementOptions.CritiqueInBatches"/> is
/// set), critiques through the OpenAI Batch API at its lower price.
/// </summary>
/// <remarks>
/// <para>Each batch line's body is the request the synchronous critic sends, and each answer is parsed as the
/// synchronous critic parses it, so the loop keeps the same items either way.</para>
/// <para>Every step is recorded in the state folder before the next one starts: the request file, its file id, that a
/// create is being sent, the batch id, the downloaded output. A rerun after a crash at any point resumes the same
/// batches: an uploaded file is reused, a create whose answer was lost is found again by listing the batches and
/// matching the request file's digest in their metadata, and a created batch is polled, never created again.</para>
/// </remarks>
public sealed partial class OpenAIBatchCritic : DelegatingCritic, IBatchCritic
{
    private readonly OpenAIBatchOptions _options;
    private readonly string _model;
    private readonly ChatClientCriticOptions _critic;
    private readonly BatchApi _api;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="OpenAIBatchCritic"/> class.</summary>
    /// <param name="options">Where and how to reach the critic model; the same settings serve both modes.</param>
    /// <param name="batchOptions">The batch settings; <see langword="null"/> uses the defaults.</param>
    /// <param name="loggerFactory">Receives batch progress and retry warnings; may be <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for polling and retry delays; <see langword="null"/> uses the system clock.</param>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public OpenAIBatchCritic(OpenAICriticOptions options, OpenAIBatchOptions? batchOptions = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        : base(OpenAICritic.Create(options, loggerFactory, timeProvider))
    {
        _options = batchOptions ?? new OpenAIBatchOptions();
        _options.Validate();
        _critic = options.Critic;
        _model = options.Critic.ModelId ?? options.Model;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory?.CreateLogger<OpenAIBatchCritic>() ?? NullLogger<OpenAIBatchCritic>.Instance;
        OpenAIClientOptions clientOptions = OpenAIClientSettings.Create(options.Endpoint, options.NetworkTimeout, options.OrganizationId, options.Transport);

        var client = new OpenAIClient(OpenAIClientSettings.Credential(options.ResolveApiKey()), clientOptions);
        _api = new BatchApi(client, _options, _timeProvider, _logger);
    }

    /// <summary>Gets the batch settings.</summary>
    public OpenAIBatchOptions BatchOptions => _options;

    /// <inheritdoc />
    public async Task<BatchCritiqueResult> CritiqueBatchAsync(IReadOnlyList<BatchCritiqueRequest> requests, string stateDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        var lines = new Dictionary<string, (BatchLine Line, CritiqueRequest Request)>(StringComparer.Ordinal);
        foreach (BatchCritiqueRequest request in requests)
        {
            if (!lines.TryAdd(request.Id, (BatchRequestFile.CreateLine(request.Id, request.Request, _model, _critic, _options.EstimatedTokensPerRequest), request.Request)))
            {
                throw new ArgumentException($"The batch request id '{request.Id}' appears twice.", nameof(requests));
            }
        }

        using BatchLedger ledger = BatchLedger.Open(stateDirectory, _logger);
        var run = new BatchRun(lines.Keys);

        // 1. Batches an interrupted run submitted for these very lines: resume them, never submit them again.
        // A file never sent for creation is resumed only if every line in it is still wanted; otherwise creating it
        // would pay for lines nobody asks for any more, and its wanted lines go into new files instead.
        bool IsWanted(BatchLine line) => lines.TryGetValue(line.CustomId, out var open) && open.Line.Json == line.Json;
        List<BatchSubmission> earlier = ledger.Submissions
            .Where(submission => submission.Lines.Any(IsWanted)
                && (submission.BatchId is not null || submission.CreatingAt is not null || submission.Lines.All(IsWanted)))
            .ToList();
        run.BatchesResumed = earlier.Count(submission => submission.BatchId is not null);
        await RunSubmissionsAsync(ledger, earlier, run, cancellationToken).ConfigureAwait(false);
        foreach (BatchSubmission submission in earlier)
        {
            run.Collect(submission, IsWanted);
        }

        // 2. New batches for the rest, then follow-up batches for lines that got no answer, as the options say.
        List<BatchLine> toSend = requests
            .Where(request => run.IsOpen(request.Id) && (_options.RetryMode == BatchRetryMode.FollowUpBatch || !run.HasFailed(request.Id)))
            .Select(request => lines[request.Id].Line)
            .ToList();
        for (int round = 0; toSend.Count > 0; round++)
        {
            List<BatchSubmission> submissions = BatchRequestFile.Split(toSend, _options).Select(ledger.Prepare).ToList();
            run.LinesSubmitted += toSend.Count;
            run.EstimatedTokensSubmitted += toSend.Sum(line => line.EstimatedTokens);
            await RunSubmissionsAsync(ledger, submissions, run, cancellationToken).ConfigureAwait(false);
            var sent = toSend.Select(line => line.CustomId).ToHashSet(StringComparer.Ordinal);
            foreach (BatchSubmission submission in submissions)
            {
                run.Collect(submission, line => sent.Contains(line.CustomId));
            }

            toSend = _options.RetryMode == BatchRetryMode.FollowUpBatch && round < _options.MaxFollowUpBatches
                ? toSend.Where(line => run.IsOpen(line.CustomId)).ToList()
                : [];
            run.LinesRetriedInBatches += toSend.Count;
            if (toSend.Count > 0)
            {
                LogFollowUp(toSend.Count, round + 1);
            }
        }

        // 3. Synchronous calls for what is still open, when asked for.
        if (_options.RetryMode == BatchRetryMode.Synchronous)
        {
            await RetrySynchronouslyAsync(requests.Where(request => run.IsOpen(request.Id)).ToList(), run, cancellationToken).ConfigureAwait(false);
        }

        BatchCritiqueResult result = run.ToResult();
        BatchCritiqueReport report = result.Report;
        LogReport(report.Requests, report.BatchesCreated, report.BatchesResumed, report.LinesSubmitted, report.EstimatedTokensSubmitted, report.LinesCompleted,
            report.CompletedInputTokens, report.CompletedOutputTokens, report.LinesFailed, report.LinesUnfinished, report.RetriedSynchronously, report.FinalFailures);
        return result;
    }

    /// <summary>
    /// Takes each submission to its end: upload and create where not done yet (keeping the batches in progress within
    /// the enqueued-token budget), then poll with backoff and download each ended batch's output and error files.
    /// </summary>
    private async Task RunSubmissionsAsync(BatchLedger ledger, List<BatchSubmission> submissions, BatchRun run, CancellationToken cancellationToken)
    {
        var waiting = new Queue<BatchSubmission>();
        foreach (BatchSubmission submission in submissions)
        {
            if (submission.FinalStatus is not null)
            {
                (string output, string errors) = ledger.ReadOutputs(submission);
                run.Truncated += BatchOutput.ReadInto(submission, output, errors);
            }
            else
            {
                waiting.Enqueue(submission);
            }
        }

        var inProgress = new List<BatchSubmission>();
        TimeSpan delay = _options.PollInterval;
        while (waiting.Count > 0 || inProgress.Count > 0)
        {
            while (waiting.Count > 0
                && (inProgress.Count == 0 || _options.EnqueuedTokenBudget is not long budget || inProgress.Sum(s => s.EstimatedTokens) + waiting.Peek().EstimatedTokens <= budget))
            {
                BatchSubmission next = waiting.Dequeue();
                await EnsureCreatedAsync(ledger, next, run, cancellationToken).ConfigureAwait(false);
                inProgress.Add(next);
            }

            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
            bool ended = false;
            foreach (BatchSubmission submission in inProgress.ToList())
            {
                BatchState state = await _api.RetrieveAsync(submission.BatchId!, cancellationToken).ConfigureAwait(false);
                if (!state.IsFinal)
                {
                    continue;
                }

                // An expired or cancelled batch still has the output of the lines it finished: download and keep them.
                string output = await _api.DownloadAsync(state.OutputFileId, cancellationToken).ConfigureAwait(false);
                string errors = await _api.DownloadAsync(state.ErrorFileId, cancellationToken).ConfigureAwait(false);
                ledger.RecordFinished(submission, state.Status, state.Reason, output, errors);
                run.Truncated += BatchOutput.ReadInto(submission, output, errors);
                LogEnded(submission.BatchId!, state.Status, submission.Results.Values.Count(result => result.Critique is not null), submission.Lines.Count);
                inProgress.Remove(submission);
                ended = true;
            }

            delay = ended ? _options.PollInterval : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxPollInterval.Ticks));
        }
    }

    private async Task EnsureCreatedAsync(BatchLedger ledger, BatchSubmission submission, BatchRun run, CancellationToken cancellationToken)
    {
        if (submission.BatchId is not null)
        {
            return;
        }

        if (submission.FileId is null)
        {
            string fileId = await _api.UploadAsync(submission, cancellationToken).ConfigureAwait(false);
            ledger.RecordUploaded(submission, fileId);
        }

        if (submission.CreatingAt is not null
            && await _api.FindAsync(submission.Digest, submission.CreatingAt, cancellationToken).ConfigureAwait(false) is string found)
        {
            // A create was sent before a crash and its answer lost: the batch exists, so adopt it.
            ledger.RecordCreated(submission, found);
            LogAdopted(found, submission.Digest);
            run.BatchesResumed++;
            return;
        }

        ledger.RecordCreating(submission, _timeProvider.GetUtcNow());
        string batchId = await _api.CreateAsync(submission, cancellationToken).ConfigureAwait(false);
        ledger.RecordCreated(submission, batchId);
        run.BatchesCreated++;
        LogCreated(batchId, submission.Lines.Count, submission.EstimatedTokens, submission.FileId!);
    }

    private async Task RetrySynchronouslyAsync(List<BatchCritiqueRequest> open, BatchRun run, CancellationToken cancellationToken)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentSynchronousRetries, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(open, parallel, async (request, token) =>
        {
            try
            {
                // Credentials or model errors propagate: the loop stops the run on them, as in synchronous mode.
                Critique critique = await InnerCritic.CritiqueAsync(request.Request, token).ConfigureAwait(false);
                run.AnsweredSynchronously(request.Id, critique);
            }
            catch (Exception exception) when (!token.IsCancellationRequested && !UnrecoverableFailure.IsUnrecoverable(exception, out _))
            {
                run.FailedSynchronously(request.Id, $"{exception.GetType().Name}: {exception.Message}");
            }
        }).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Created batch {BatchId}: {Lines} requests, about {EstimatedTokens} tokens, input file {FileId}.")]
    private partial void LogCreated(string batchId, int lines, long estimatedTokens, string fileId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Found batch {BatchId} (request file {Digest}), created before an interruption; resuming it instead of creating another.")]
    private partial void LogAdopted(string batchId, string digest);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Batch {BatchId} ended {Status}: {Answered} of {Lines} requests answered.")]
    private partial void LogEnded(string batchId, string status, int answered, int lines);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Sending {Count} unanswered requests in follow-up batch round {Round}.")]
    private partial void LogFollowUp(int count, int round);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Batch critiques: {Requests} requests; {Created} batches created, {Resumed} resumed; {Submitted} lines submitted (about {EstimatedTokens} tokens); {Completed} answered ({InputTokens} input, {OutputTokens} output tokens); {Failed} line errors, {Unfinished} unfinished; {Synchronous} retried synchronously; {FinalFailures} without an answer.")]
    private partial void LogReport(int requests, int created, int resumed, int submitted, long estimatedTokens, int completed, long inputTokens, long outputTokens, int failed, int unfinished, int synchronous, int finalFailures);
}
