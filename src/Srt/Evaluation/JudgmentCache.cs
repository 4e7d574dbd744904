using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;

namespace Srt.Evaluation;

/// <summary>The judge's files in its cache folder: answers by (id, key, order), and failed calls.</summary>
internal sealed class JudgmentCache : IDisposable
{
    private readonly JsonlStore<JudgmentRecord>? _judgments;
    private readonly JsonlStore<JudgeFailureRecord>? _failures;
    private readonly ConcurrentDictionary<(string, string, JudgeOrder), JudgmentRecord> _stored = new();
    private readonly ConcurrentDictionary<(string, string, JudgeOrder), string> _failed = new();

    public JudgmentCache(string? folder, ILogger logger)
    {
        if (folder is null)
        {
            return;
        }

        _judgments = new JsonlStore<JudgmentRecord>(Path.Combine(folder, RunLayout.JudgmentsFileName), logger: logger);
        _failures = new JsonlStore<JudgeFailureRecord>(Path.Combine(folder, RunLayout.JudgeFailuresFileName), logger: logger);
        foreach (var record in _judgments.ReadAll())
        {
            _stored[(record.Id, record.Key, record.Order)] = record;
        }

        foreach (var failure in _failures.ReadAll())
        {
            _failed[(failure.Id, failure.Key, failure.Order)] = failure.Reason;
        }
    }

    public bool TryGet(string id, string key, JudgeOrder order, [NotNullWhen(true)] out JudgmentRecord? record) =>
        _stored.TryGetValue((id, key, order), out record);

    public bool HasFailed(string id, string key, JudgeOrder order, [NotNullWhen(true)] out string? reason) =>
        _failed.TryGetValue((id, key, order), out reason);

    public void Add(JudgmentRecord record)
    {
        // On disk first: a paid answer is written before anything uses it.
        _judgments?.Append(record);
        _stored[(record.Id, record.Key, record.Order)] = record;
    }

    public void AddFailure(JudgeFailureRecord failure) => _failures?.Append(failure);

    public void Dispose()
    {
        _judgments?.Dispose();
        _failures?.Dispose();
    }
}
