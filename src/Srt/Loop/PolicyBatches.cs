using System.Diagnostics;

namespace Srt;

/// <summary>
/// Sends instructions to the policy in batches and hands back each completion, or each item's failure: a prompt the
/// policy reports as <see cref="CompletionFinishReason.Failed"/> fails alone, a call that throws fails its batch, and a
/// call that fails in a way no retry can fix (wrong key, unknown model) stops the run with
/// <see cref="UnrecoverableCallException"/>.
/// </summary>
internal sealed class PolicyBatches(IPolicyModel policy, SelfRefinementOptions options, int stage)
{
    /// <summary>Generates one completion per item, batch by batch, in order.</summary>
    /// <param name="items">The items to answer.</param>
    /// <param name="onCompleted">Called for each completion, in item order, before the next batch starts.</param>
    /// <param name="onFailed">Called for each item the policy could not answer, and for each item of a batch whose generation call threw (not by cancellation).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    public async Task GenerateAsync(
        IReadOnlyList<InstructionItem> items,
        Func<InstructionItem, PolicyCompletion, ValueTask> onCompleted,
        Action<InstructionItem, Exception> onFailed,
        CancellationToken cancellationToken)
    {
        GenerationOptions generation = options.CreateGenerationOptions(stage);
        foreach (InstructionItem[] batch in items.Chunk(options.GenerationBatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var prompts = batch.Select(item => PolicyPrompt.Create(options.SystemPrompt, item.Instruction)).ToList();
            IReadOnlyList<PolicyCompletion> completions;
            Activity? activity = SrtTelemetry.Source.StartActivity("srt.generation");
            activity?.SetTag(SrtTelemetry.StageTag, stage);
            activity?.SetTag("srt.generation.prompts", batch.Length);
            long started = Stopwatch.GetTimestamp();
            try
            {
                completions = await policy.GenerateAsync(prompts, generation.Clone(), cancellationToken).ConfigureAwait(false);
                CheckShape(completions, batch.Length);
                RecordThroughput(activity, completions, Stopwatch.GetElapsedTime(started));
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                SrtTelemetry.Failed(activity, exception);
                if (UnrecoverableFailure.ToStop(exception, "policy generation") is { } stop)
                {
                    throw stop;
                }

                foreach (InstructionItem item in batch)
                {
                    onFailed(item, exception);
                }

                continue;
            }
            finally
            {
                // The span covers the policy call only, not the work done on its completions.
                activity?.Dispose();
            }

            for (int index = 0; index < batch.Length; index++)
            {
                PolicyCompletion completion = completions[index];
                if (completion.FinishReason == CompletionFinishReason.Failed)
                {
                    onFailed(batch[index], new PolicyCompletionFailedException(completion.Error ?? "The policy wrote no completion."));
                    continue;
                }

                await onCompleted(batch[index], completion).ConfigureAwait(false);
            }
        }
    }

    // Generated tokens/s of the batch, where the policy counts its tokens (every in-process and OpenAI-compatible one does).
    private void RecordThroughput(Activity? activity, IReadOnlyList<PolicyCompletion> completions, TimeSpan elapsed)
    {
        if (completions.Any(completion => completion.CompletionTokens is null) || elapsed <= TimeSpan.Zero)
        {
            return;
        }

        long tokens = completions.Sum(completion => (long)completion.CompletionTokens!.Value);
        activity?.SetTag("srt.generation.tokens", tokens);
        SrtTelemetry.GenerationThroughput.Record(tokens / elapsed.TotalSeconds, SrtTelemetry.Stage(stage));
    }

    private static void CheckShape(IReadOnlyList<PolicyCompletion>? completions, int expected)
    {
        if (completions is null || completions.Count != expected)
        {
            throw new InvalidOperationException(
                $"The policy returned {completions?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"} completions for {expected} prompts.");
        }

        if (completions.Any(completion => completion?.Text is null))
        {
            throw new InvalidOperationException("The policy returned a null completion.");
        }
    }
}
