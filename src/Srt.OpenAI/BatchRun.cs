namespace Srt.OpenAI;

/// <summary>The answers, failures and counts of one <see cref="OpenAIBatchCritic.CritiqueBatchAsync"/> call.</summary>
internal sealed class BatchRun(IEnumerable<string> ids)
{
    private readonly HashSet<string> _requested = new(ids, StringComparer.Ordinal);
    private readonly Dictionary<string, Critique> _critiques = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _reasons = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _completed, _failed, _unfinished, _synchronous;
    private long _completedInput, _completedOutput, _synchronousInput, _synchronousOutput;

    public int BatchesCreated { get; set; }

    public int BatchesResumed { get; set; }

    public int LinesSubmitted { get; set; }

    public long EstimatedTokensSubmitted { get; set; }

    public int LinesRetriedInBatches { get; set; }

    /// <summary>Gets or sets the number of answers whose improved response was dropped at the token limit.</summary>
    public int Truncated { get; set; }

    public bool IsOpen(string id)
    {
        lock (_gate)
        {
            return _requested.Contains(id) && !_critiques.ContainsKey(id);
        }
    }

    public bool HasFailed(string id)
    {
        lock (_gate)
        {
            return _reasons.ContainsKey(id);
        }
    }

    /// <summary>Takes the results of an ended submission's lines that this call asked for and that are still open.</summary>
    public void Collect(BatchSubmission submission, Func<BatchLine, bool> isRequested)
    {
        lock (_gate)
        {
            foreach (BatchLine line in submission.Lines.Where(line => isRequested(line) && _requested.Contains(line.CustomId) && !_critiques.ContainsKey(line.CustomId)))
            {
                BatchLineResult result = submission.ResultOf(line.CustomId);
                if (result.Critique is Critique critique)
                {
                    _critiques[line.CustomId] = critique;
                    _reasons.Remove(line.CustomId);
                    _completed++;
                    _completedInput += critique.Usage?.InputTokenCount ?? 0;
                    _completedOutput += critique.Usage?.OutputTokenCount ?? 0;
                    continue;
                }

                _reasons[line.CustomId] = result.Reason ?? "no answer";
                if (result.IsError)
                {
                    _failed++;
                }
                else
                {
                    _unfinished++;
                }
            }
        }
    }

    public void AnsweredSynchronously(string id, Critique critique)
    {
        lock (_gate)
        {
            _critiques[id] = critique;
            _reasons.Remove(id);
            _synchronous++;
            _synchronousInput += critique.Usage?.InputTokenCount ?? 0;
            _synchronousOutput += critique.Usage?.OutputTokenCount ?? 0;
        }
    }

    public void FailedSynchronously(string id, string reason)
    {
        lock (_gate)
        {
            _synchronous++;
            _reasons[id] = $"{_reasons.GetValueOrDefault(id) ?? "no batch answer"}; the synchronous retry failed too: {reason}";
        }
    }

    public BatchCritiqueResult ToResult()
    {
        lock (_gate)
        {
            var failures = _requested.Where(id => !_critiques.ContainsKey(id))
                .ToDictionary(id => id, id => _reasons.GetValueOrDefault(id) ?? "no batch answered it", StringComparer.Ordinal);
            var report = new BatchCritiqueReport
            {
                Requests = _requested.Count,
                BatchesCreated = BatchesCreated,
                BatchesResumed = BatchesResumed,
                LinesSubmitted = LinesSubmitted,
                EstimatedTokensSubmitted = EstimatedTokensSubmitted,
                LinesCompleted = _completed,
                CompletedInputTokens = _completedInput,
                CompletedOutputTokens = _completedOutput,
                LinesFailed = _failed,
                LinesUnfinished = _unfinished,
                LinesRetriedInBatches = LinesRetriedInBatches,
                RetriedSynchronously = _synchronous,
                SynchronousInputTokens = _synchronousInput,
                SynchronousOutputTokens = _synchronousOutput,
                FinalFailures = failures.Count,
            };
            return new BatchCritiqueResult(new Dictionary<string, Critique>(_critiques, StringComparer.Ordinal), failures, report);
        }
    }
}
