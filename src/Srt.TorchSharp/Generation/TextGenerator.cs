using System.Diagnostics;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;

namespace Srt.TorchSharp.Generation;

/// <summary>
/// Generates text with a <see cref="LlamaForCausalLM"/>: the prompts go through the model once (prefill, filling a
/// KV cache), then one token per step for all rows together. Batches are left-padded with an attention mask.
/// Greedy decoding at temperature 0, otherwise sampling with temperature, top-k and top-p; a sequence ends on an
/// end-of-sequence id, a stop sequence (matched on the decoded text, not returned) or the token limit.
/// </summary>
/// <remarks>
/// <para>Synchronous and not thread-safe, like the model: call it from one thread at a time (see
/// <see cref="CausalLanguageModel.RunExclusiveAsync{T}"/>). It switches the model to evaluation mode for the call
/// and restores the previous mode afterwards; gradients are never recorded.</para>
/// <para>Sampling is reproducible: row <c>i</c> of a call draws from its own generator seeded with
/// <see cref="GenerationOptions.Seed"/> + <c>i</c>.</para>
/// </remarks>
public sealed class TextGenerator
{
    /// <summary>Creates a generator.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer: decodes the output and supplies the padding id.</param>
    /// <param name="stopTokenIds">Ids that end a sequence; defaults to <see cref="ModelTokenizer.EosTokenIds"/>.</param>
    /// <param name="stopSequences">Texts that always end a sequence, in addition to each call's
    /// <see cref="GenerationOptions.StopSequences"/>.</param>
    public TextGenerator(
        LlamaForCausalLM model, ModelTokenizer tokenizer, IEnumerable<int>? stopTokenIds = null, IEnumerable<string>? stopSequences = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Model = model;
        Tokenizer = tokenizer;
        StopTokenIds = new HashSet<int>(stopTokenIds ?? tokenizer.EosTokenIds);
        StopSequences = (stopSequences ?? []).Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Gets the model.</summary>
    public LlamaForCausalLM Model { get; }

    /// <summary>Gets the tokenizer.</summary>
    public ModelTokenizer Tokenizer { get; }

    /// <summary>Gets the ids that end a sequence.</summary>
    public IReadOnlySet<int> StopTokenIds { get; }

    /// <summary>Gets the texts that always end a sequence.</summary>
    public IReadOnlyList<string> StopSequences { get; }

    /// <summary>Generates one continuation for each prompt, as one batch.</summary>
    /// <param name="prompts">Token ids of each prompt (BOS included when the model wants one); none may be empty.</param>
    /// <param name="options">Sampling settings; validated.</param>
    /// <param name="onUpdate">Receives streamed text pieces as they are decoded, on the calling thread.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <returns>The sequences in prompt order, with timings.</returns>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public GenerationOutput Generate(
        IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, Action<GenerationUpdate>? onUpdate = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        var seed = options.Seed ?? Random.Shared.NextInt64();
        return Generate(prompts, options, Enumerable.Range(0, prompts.Count).Select(i => seed + i).ToArray(), onUpdate, cancellationToken);
    }

    internal GenerationOutput Generate(
        IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, IReadOnlyList<long> rowSeeds,
        Action<GenerationUpdate>? onUpdate, CancellationToken cancellationToken)
    {
        GenerationOptionsValidation.Validate(options);
        ValidatePrompts(prompts);
        cancellationToken.ThrowIfCancellationRequested();
        var stops = StopSequences.Concat(options.StopSequences).Distinct(StringComparer.Ordinal).ToArray();
        var rows = prompts.Select((p, i) => new SequenceTracker(i, p.Count, Tokenizer, StopTokenIds, stops, options.MaxNewTokens)).ToArray();
        var padId = (long)(Tokenizer.PadTokenId ?? Tokenizer.EosTokenId ?? 0);

        var wasTraining = Model.IsTraining;
        Model.Eval();
        try
        {
            using var sampler = new TokenSampler(options, rowSeeds, Model.Device);
            using var session = new GenerationSession(Model, sampler, prompts, padId, options.MaxNewTokens);
            var clock = Stopwatch.StartNew();
            var tokens = session.Prefill();
            var prefill = clock.Elapsed;
            var steps = 0;
            while (Accept(rows, tokens, padId, onUpdate))
            {
                cancellationToken.ThrowIfCancellationRequested();
                tokens = session.Decode(tokens);
                steps++;
            }
            return new GenerationOutput(rows.Select(r => r.ToResult()).ToArray(), prefill, clock.Elapsed - prefill, steps);
        }
        finally
        {
            Model.Train(wasTraining);
        }
    }

    /// <summary>Hands each unfinished row its token and puts padding where rows have finished; true while any row runs.</summary>
    private static bool Accept(SequenceTracker[] rows, long[] tokens, long padId, Action<GenerationUpdate>? onUpdate)
    {
        var running = false;
        for (var row = 0; row < rows.Length; row++)
        {
            if (rows[row].IsFinished)
            {
                tokens[row] = padId;
                continue;
            }
            if (rows[row].Accept((int)tokens[row]) is { } update)
            {
                onUpdate?.Invoke(update);
            }
            if (rows[row].IsFinished)
            {
                tokens[row] = padId;
            }
            else
            {
                running = true;
            }
        }
        return running;
    }

    private void ValidatePrompts(IReadOnlyList<IReadOnlyList<int>> prompts)
    {
        if (prompts.Count == 0)
        {
            throw new ArgumentException("At least one prompt is required.", nameof(prompts));
        }
        var vocabulary = Model.Config.VocabSize;
        for (var i = 0; i < prompts.Count; i++)
        {
            if (prompts[i] is not { Count: > 0 } prompt)
            {
                throw new ArgumentException($"Prompt {i} has no tokens.", nameof(prompts));
            }
            foreach (var id in prompt)
            {
                if (id < 0 || id >= vocabulary)
                {
                    throw new ArgumentException($"Prompt {i} holds token id {id}, outside the model's vocabulary of {vocabulary}.", nameof(prompts));
                }
            }
        }
    }
}
