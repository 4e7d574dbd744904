using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Srt.Evaluation;

/// <summary>
/// An AlpacaEval-style pairwise judge over any <see cref="IChatClient"/>: for each item it asks which of two answers
/// is better, once with the candidate as output A and once with it as output B, so a judge that favours a position
/// produces ties rather than wins. Reports the win rate with a 95% Wilson interval, the tie rate, average lengths
/// and a length-controlled win rate (see docs/evaluation.md).
/// </summary>
/// <remarks>
/// Each judge call's answer is appended to <c>judgments.jsonl</c> in <see cref="PairwiseJudgeOptions.CacheDirectory"/>,
/// keyed by item id, a hash of the instruction, both answers and the model id, and the order; a rerun pays only for
/// calls not on disk. Transient failures (429, 5xx, dropped connections, bodies cut short) are retried by
/// <see cref="PairwiseJudgeOptions.Retry"/>. A call that fails in a way no retry can fix (wrong key, unknown model,
/// invalid request) stops the run with <see cref="UnrecoverableCallException"/>: calls in flight are cancelled,
/// judgments already answered stay in the cache, and nothing is recorded as failed. Any other call that throws after
/// the retries is recorded in <c>judge-failures.jsonl</c> and logged in one line, and the run goes on; an answer
/// without a verdict is recorded with the reason. Either way the item counts as failed and is left out of the rates.
/// Two identical answers are a tie by definition: no call is made.
/// </remarks>
public sealed partial class PairwiseJudge
{
    private readonly IChatClient _chatClient;
    private readonly PairwiseJudgeOptions _options;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="PairwiseJudge"/> class.</summary>
    /// <param name="chatClient">The judge model's chat client.</param>
    /// <param name="options">The settings; <see langword="null"/> uses the defaults (no cache).</param>
    /// <param name="loggerFactory">Creates the judge's logger; may be <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for retry delays; <see langword="null"/> uses the system clock.</param>
    public PairwiseJudge(IChatClient chatClient, PairwiseJudgeOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        _options = options ?? new PairwiseJudgeOptions();
        _options.Validate();
        _logger = loggerFactory?.CreateLogger<PairwiseJudge>() ?? NullLogger<PairwiseJudge>.Instance;
        _chatClient = _options.Retry is null || chatClient.GetService<RetryingChatClient>() is not null
            ? chatClient
            : new RetryingChatClient(chatClient, _options.Retry, loggerFactory?.CreateLogger<RetryingChatClient>(), timeProvider);
    }

    /// <summary>Gets the chat client the judge calls, with retries when they were added (its <see cref="RetryingChatClient.Retries"/> counts them).</summary>
    public IChatClient ChatClient => _chatClient;

    /// <summary>Judges every item in both orders.</summary>
    /// <param name="items">The comparisons; ids must be unique.</param>
    /// <param name="progress">Receives the number of items settled so far; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the run; judgments made so far stay in the cache.</param>
    /// <returns>The report.</returns>
    public async Task<PairwiseReport> JudgeAsync(IEnumerable<PairwiseItem> items, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var list = Check(items);
        using var cache = new JudgmentCache(_options.CacheDirectory, _logger);
        var session = new JudgeSession(list.Count, progress);
        using var gate = new SemaphoreSlim(_options.MaxConcurrency);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var judgments = new PairwiseJudgment[list.Count];
        LogStarting(list.Count, _options.CacheDirectory ?? "(no cache)");

        // Both orders of all items go through one gate, so concurrency stays bounded across items.
        var tasks = list.Select(async (item, index) =>
        {
            if (string.Equals(item.Candidate, item.Reference, StringComparison.Ordinal))
            {
                judgments[index] = Identical(item);
                session.ItemSettled();
                return;
            }

            string key = Key(item);
            var first = JudgeOrderAsync(item, key, JudgeOrder.CandidateFirst, cache, session, gate, stop);
            var second = JudgeOrderAsync(item, key, JudgeOrder.ReferenceFirst, cache, session, gate, stop);
            var outcomes = await Task.WhenAll(first, second).ConfigureAwait(false);
            judgments[index] = Combine(item, outcomes[0], outcomes[1]);
            session.ItemSettled();
        }).ToList();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested && session.Stop is { } stopped)
        {
            // The calls cancelled by the stop fail too; the stop is what to report.
            throw stopped;
        }

        var report = Summarize(judgments, session);
        LogFinished(report.Judged, report.Failed, report.WinRate ?? double.NaN, report.JudgeCalls, report.CachedJudgments);
        return report;
    }

    private static List<PairwiseItem> Check(IEnumerable<PairwiseItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var list = items.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < list.Count; i++)
        {
            var item = list[i] ?? throw new ArgumentException($"Item {i} is null.", nameof(items));
            if (string.IsNullOrWhiteSpace(item.Id))
            {
                throw new ArgumentException($"Item {i} has an empty id.", nameof(items));
            }

            if (item.Instruction is null || item.Candidate is null || item.Reference is null)
            {
                throw new ArgumentException($"Item '{item.Id}' has a null instruction, candidate or reference.", nameof(items));
            }

            if (!seen.Add(item.Id))
            {
                throw new ArgumentException($"Item id '{item.Id}' appears more than once (again at index {i}); ids must be unique.", nameof(items));
            }
        }

        return list;
    }

    private async Task<OrderOutcome> JudgeOrderAsync(
        PairwiseItem item, string key, JudgeOrder order, JudgmentCache cache, JudgeSession session, SemaphoreSlim gate, CancellationTokenSource stop)
    {
        CancellationToken cancellationToken = stop.Token;
        if (cache.TryGet(item.Id, key, order, out var stored))
        {
            session.AddCached();
            return OrderOutcome.From(stored);
        }

        if (!_options.RetryFailedCalls && cache.HasFailed(item.Id, key, order, out string? earlier))
        {
            return new OrderOutcome(null, $"{order}: an earlier run failed ({earlier}); not retried");
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A stop can land while this call waited for its turn.
            cancellationToken.ThrowIfCancellationRequested();
            (string a, string b) = order == JudgeOrder.CandidateFirst ? (item.Candidate, item.Reference) : (item.Reference, item.Candidate);
            var chatOptions = new ChatOptions { Temperature = _options.Temperature, MaxOutputTokens = _options.MaxOutputTokens, ModelId = _options.ModelId };
            session.AddCall();
            ChatResponse response;
            try
            {
                response = await _chatClient.GetResponseAsync(_options.Prompt.Build(item.Instruction, a, b), chatOptions, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                if (UnrecoverableFailure.ToStop(exception, "judging") is { } unrecoverable)
                {
                    // Every other call would fail the same way: stop them, record nothing against the item.
                    session.SetStop(unrecoverable);
                    await stop.CancelAsync().ConfigureAwait(false);
                    throw unrecoverable;
                }

                LogCallFailed(item.Id, order, exception.GetType().Name, exception.Message);
                cache.AddFailure(new JudgeFailureRecord(item.Id, key, order, exception.Message, exception.GetType().FullName, DateTimeOffset.UtcNow));
                return new OrderOutcome(null, $"{order}: the judge call failed: {exception.GetType().Name}: {exception.Message}");
            }

            session.AddUsage(response.Usage);
            string text = response.Text ?? string.Empty;
            bool parsed = JudgeVerdictParser.TryParse(text, out char verdict, out string? reason);
            var record = new JudgmentRecord(item.Id, key, order, parsed ? verdict : null, reason, text, TokenCounts.From(response.Usage));
            cache.Add(record);
            return OrderOutcome.From(record);
        }
        finally
        {
            gate.Release();
        }
    }

    private PairwiseJudgment Identical(PairwiseItem item) =>
        new(item.Id, PairwisePreference.Tie, null, null, item.Candidate.Length, item.Reference.Length)
        {
            CandidateTokens = _options.CountTokens?.Invoke(item.Candidate),
            ReferenceTokens = _options.CountTokens?.Invoke(item.Reference),
            IdenticalAnswers = true,
        };

    private PairwiseJudgment Combine(PairwiseItem item, OrderOutcome candidateFirst, OrderOutcome referenceFirst)
    {
        // Map each order's verdict to "the candidate won this call".
        bool? firstWin = candidateFirst.Verdict is char v1 ? v1 == 'A' : null;
        bool? secondWin = referenceFirst.Verdict is char v2 ? v2 == 'B' : null;
        var preference = (firstWin, secondWin) switch
        {
            (true, true) => PairwisePreference.CandidateWins,
            (false, false) => PairwisePreference.ReferenceWins,
            (bool, bool) => PairwisePreference.Tie,
            _ => PairwisePreference.Failed,
        };
        string? failure = preference == PairwisePreference.Failed
            ? string.Join("; ", new[] { candidateFirst.Failure, referenceFirst.Failure }.Where(f => f is not null))
            : null;
        return new PairwiseJudgment(item.Id, preference, candidateFirst.Verdict, referenceFirst.Verdict, item.Candidate.Length, item.Reference.Length, failure)
        {
            CandidateTokens = _options.CountTokens?.Invoke(item.Candidate),
            ReferenceTokens = _options.CountTokens?.Invoke(item.Reference),
        };
    }

    private static PairwiseReport Summarize(PairwiseJudgment[] judgments, JudgeSession session)
    {
        var judged = judgments.Where(j => j.Score is not null).ToList();
        int wins = judged.Count(j => j.Preference == PairwisePreference.CandidateWins);
        int ties = judged.Count(j => j.Preference == PairwisePreference.Tie);
        int n = judged.Count;
        double score = wins + (0.5 * ties);
        (double lower, double upper) = WinRateStatistics.WilsonInterval(score, n);
        return new PairwiseReport
        {
            Judgments = judgments,
            Wins = wins,
            Ties = ties,
            Losses = n - wins - ties,
            Failed = judgments.Length - n,
            WinRate = n == 0 ? null : score / n,
            WinRateLower = n == 0 ? null : lower,
            WinRateUpper = n == 0 ? null : upper,
            TieRate = n == 0 ? null : (double)ties / n,
            LengthControlledWinRate = WinRateStatistics.LengthControlledWinRate(
                judged.Select(j => j.Score!.Value).ToList(), judged.Select(j => (double)(j.CandidateLength - j.ReferenceLength)).ToList()),
            AverageCandidateLength = n == 0 ? null : judged.Average(j => j.CandidateLength),
            AverageReferenceLength = n == 0 ? null : judged.Average(j => j.ReferenceLength),
            AverageCandidateTokens = n == 0 || judged.Any(j => j.CandidateTokens is null) ? null : judged.Average(j => j.CandidateTokens!.Value),
            AverageReferenceTokens = n == 0 || judged.Any(j => j.ReferenceTokens is null) ? null : judged.Average(j => j.ReferenceTokens!.Value),
            JudgeCalls = session.Calls,
            CachedJudgments = session.Cached,
            InputTokens = session.InputTokens,
            OutputTokens = session.OutputTokens,
        };
    }

    private string Key(PairwiseItem item)
    {
        var text = new StringBuilder()
            .Append(item.Instruction).Append('\0')
            .Append(item.Candidate).Append('\0')
            .Append(item.Reference).Append('\0')
            .Append(_options.ModelId).Append('\0')
            .Append(_options.Prompt.SystemMessage).Append('\0')
            .Append(_options.Prompt.Task);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Judging {Count} items in both orders (cache: {CacheDirectory}).")]
    private partial void LogStarting(int count, string cacheDirectory);

    // One line, no stack trace: the failure is recorded in judge-failures.jsonl and the item is retried on the next run.
    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "The judge call for item {Id} ({Order}) failed with {ExceptionType}: {Reason}; the item is recorded as failed and the run goes on.")]
    private partial void LogCallFailed(string id, JudgeOrder order, string exceptionType, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Judged {Judged} items ({Failed} failed): win rate {WinRate:F4}; {Calls} judge calls, {Cached} judgments from the cache.")]
    private partial void LogFinished(int judged, int failed, double winRate, int calls, int cached);

    private sealed record OrderOutcome(char? Verdict, string? Failure)
    {
        public static OrderOutcome From(JudgmentRecord record) =>
            new(record.Verdict, record.Verdict is null ? $"{record.Order}: {record.Unparseable}" : null);
    }
}
