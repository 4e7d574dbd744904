namespace Srt;

/// <summary>
/// Sends instructions to the policy in batches and hands back each completion, or each item's failure: a prompt the
/// policy reports as <see cref="CompletionFinishReason.Failed"/> fails alone, a call that throws fails its batch, and a
/// failure no retry can fix (<see cref="UnrecoverableFailure"/>) stops the stage.
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
            try
            {
                completions = await policy.GenerateAsync(prompts, generation.Clone(), cancellationToken).ConfigureAwait(false);
                CheckShape(completions, batch.Length);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested && !UnrecoverableFailure.IsUnrecoverable(exception, out _))
            {
                // An unrecoverable failure (rejected key, unknown model) propagates: every later batch would fail the same way.
                foreach (InstructionItem item in batch)
                {
                    onFailed(item, exception);
                }

                continue;
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
