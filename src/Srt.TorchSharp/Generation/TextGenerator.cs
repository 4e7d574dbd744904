using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;

namespace Srt.TorchSharp.Generation;

/// <summary>
/// Generates text with a <see cref="LlamaForCausalLM"/>: the prompts go through the model once (prefill, filling a
/// KV cache), then one token per step for all rows together. <see cref="Generate(IReadOnlyList{IReadOnlyList{int}}, GenerationOptions, Action{GenerationUpdate}?, CancellationToken)"/>
/// runs the prompts as one left-padded batch with an attention mask;
/// <see cref="GenerateContinuous(IReadOnlyList{IReadOnlyList{int}}, GenerationOptions, int, Action{GenerationUpdate}?, CancellationToken)"/>
/// keeps a fixed number of slots busy, starting the next prompt in a slot as soon as its sequence ends.
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

    /// <summary>Gets the most tokens one sequence may hold, prompt included: the model's <c>max_position_embeddings</c>.
    /// A prompt that leaves no room is rejected; a completion that would pass it ends there with
    /// <see cref="CompletionFinishReason.Length"/>, whatever <see cref="GenerationOptions.MaxNewTokens"/> says.</summary>
    public int MaxSequenceTokens => Model.Config.MaxPositionEmbeddings;

    /// <summary>Generates one continuation for each prompt, as one static batch: every row runs until the longest ends.</summary>
    /// <param name="prompts">Token ids of each prompt (BOS included when the model wants one); none may be empty.</param>
    /// <param name="options">Sampling settings; validated.</param>
    /// <param name="onUpdate">Receives streamed text pieces as they are decoded, on the calling thread.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <returns>The sequences in prompt order, with timings.</returns>
    /// <exception cref="ArgumentException">A prompt is empty, holds an id outside the vocabulary, or leaves no room for a
    /// new token within <see cref="MaxSequenceTokens"/>.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public GenerationOutput Generate(
        IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, Action<GenerationUpdate>? onUpdate = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        return Generate(new GenerationPlan(prompts, options, RowSeeds(options, prompts.Count)), onUpdate, cancellationToken);
    }

    /// <summary>
    /// Generates one continuation for each prompt with continuous batching: <paramref name="slots"/> sequences run
    /// together, and when one ends the next waiting prompt is prefilled into its slot, so no slot waits for the
    /// longest sequence. Greedy output is the same as generating each prompt alone; sampled output depends only on
    /// the prompt's seed (<see cref="GenerationOptions.Seed"/> + its index), not on the slot it lands in.
    /// </summary>
    /// <param name="prompts">Token ids of each prompt, started in this order; none may be empty.</param>
    /// <param name="options">Sampling settings; validated.</param>
    /// <param name="slots">How many sequences run together. The KV cache holds <paramref name="slots"/> × (longest
    /// prompt + new tokens, at most <see cref="MaxSequenceTokens"/>) tokens.</param>
    /// <param name="onUpdate">Receives streamed text pieces as they are decoded, on the calling thread.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <returns>The sequences in prompt order, with timings (prefill of all prompts, decode steps).</returns>
    /// <exception cref="ArgumentException">A prompt is empty, holds an id outside the vocabulary, or leaves no room for a
    /// new token within <see cref="MaxSequenceTokens"/>.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public GenerationOutput GenerateContinuous(
        IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, int slots, Action<GenerationUpdate>? onUpdate = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        return GenerateContinuous(new GenerationPlan(prompts, options, RowSeeds(options, prompts.Count)), slots, onUpdate, cancellationToken);
    }

    private static long[] RowSeeds(GenerationOptions options, int count)
    {
        var seed = options.Seed ?? Random.Shared.NextInt64();
        return Enumerable.Range(0, count).Select(i => seed + i).ToArray();
    }

    internal GenerationOutput Generate(GenerationPlan plan, Action<GenerationUpdate>? onUpdate, CancellationToken cancellationToken)
    {
        var (rows, limits) = Prepare(plan);
        cancellationToken.ThrowIfCancellationRequested();
        var padId = (long)(Tokenizer.PadTokenId ?? Tokenizer.EosTokenId ?? 0);
        return WithEvalMode(() =>
        {
            using var sampler = new TokenSampler(plan.Options, plan.RowSeeds, Model.Device);
            using var session = new GenerationSession(Model, sampler, plan.Prompts, padId, limits.Max());
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
        });
    }

    internal GenerationOutput GenerateContinuous(
        GenerationPlan plan, int slots, Action<GenerationUpdate>? onUpdate, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        var (rows, limits) = Prepare(plan);
        cancellationToken.ThrowIfCancellationRequested();
        var prompts = plan.Prompts;
        var capacity = Enumerable.Range(0, prompts.Count).Max(i => prompts[i].Count + limits[i]);
        return WithEvalMode(() =>
        {
            using var sampler = new TokenSampler(plan.Options, plan.RowSeeds, Model.Device);
            using var session = new ContinuousBatchSession(
                Model, sampler, Math.Min(slots, prompts.Count), capacity, prompts.Max(p => p.Count));
            var tokens = new long[session.Slots];
            var (prefill, decode) = (TimeSpan.Zero, TimeSpan.Zero);
            var (next, steps) = (0, 0);
            while (true)
            {
                // Fill free slots from the queue; a sequence that ends on its first token never takes one.
                while (session.Running < session.Slots && next < prompts.Count)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var sequence = next++;
                    var started = Stopwatch.GetTimestamp();
                    var first = session.Prefill(prompts[sequence], sequence);
                    prefill += Stopwatch.GetElapsedTime(started);
                    if (Accept(rows[sequence], first, onUpdate))
                    {
                        tokens[session.Running] = first;
                        session.Admit(sequence);
                    }
                }
                if (session.Running == 0)
                {
                    break;
                }
                cancellationToken.ThrowIfCancellationRequested();
                var stepStarted = Stopwatch.GetTimestamp();
                var sampled = session.Decode(tokens);
                decode += Stopwatch.GetElapsedTime(stepStarted);
                steps++;
                // From the last slot down, so the slot that moves into a freed one has already been handled.
                for (var slot = session.Running - 1; slot >= 0; slot--)
                {
                    tokens[slot] = sampled[slot];
                    if (!Accept(rows[session.SequenceAt(slot)], sampled[slot], onUpdate))
                    {
                        var last = session.Running - 1;
                        tokens[slot] = tokens[last];
                        session.Release(slot);
                    }
                }
            }
            return new GenerationOutput(rows.Select(r => r.ToResult()).ToArray(), prefill, decode, steps);
        });
    }

    /// <summary>Validates the plan and creates each row's tracker with its own token limit: the requested maximum,
    /// capped where the prompt leaves less room within the sequence limit.</summary>
    [SuppressMessage("Usage", "CA2208", Justification = "Names the public methods' parameter: the prompts the plan holds.")]
    private (SequenceTracker[] Rows, int[] Limits) Prepare(GenerationPlan plan)
    {
        GenerationOptionsValidation.Validate(plan.Options);
        ValidatePrompts(plan.Prompts);
        if (plan.RowSeeds.Count != plan.Prompts.Count || (plan.RowMaxNewTokens is { } caps && caps.Count != plan.Prompts.Count))
        {
            throw new ArgumentException("A generation plan needs one seed (and one token limit, when given) per prompt.", nameof(plan));
        }
        for (var i = 0; i < (plan.RowMaxNewTokens?.Count ?? 0); i++)
        {
            if (plan.RowMaxNewTokens![i] <= 0)
            {
                throw new ArgumentException($"The token limit of prompt {i} must be positive; got {plan.RowMaxNewTokens[i]}.", nameof(plan));
            }
        }
        var sequenceLimit = Math.Min(MaxSequenceTokens, plan.MaxSequenceTokens ?? int.MaxValue);
        var limitName = plan.MaxSequenceTokens is { } own && own < MaxSequenceTokens ? plan.LimitName : "the model's max_position_embeddings";
        var stops = StopSequences.Concat(plan.Options.StopSequences).Distinct(StringComparer.Ordinal).ToArray();
        var rows = new SequenceTracker[plan.Prompts.Count];
        var limits = new int[plan.Prompts.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            var promptTokens = plan.Prompts[i].Count;
            if (SequenceBudget.Check(promptTokens, sequenceLimit, limitName) is { } error)
            {
                throw new ArgumentException($"Prompt {i}: {error}", "prompts");
            }
            var requested = plan.RowMaxNewTokens?[i] ?? plan.Options.MaxNewTokens;
            limits[i] = Math.Min(requested, sequenceLimit - promptTokens);
            rows[i] = new SequenceTracker(i, promptTokens, Tokenizer, StopTokenIds, stops, limits[i]);
        }
        return (rows, limits);
    }

    private GenerationOutput WithEvalMode(Func<GenerationOutput> work)
    {
        var wasTraining = Model.IsTraining;
        Model.Eval();
        try
        {
            return work();
        }
        finally
        {
            Model.Train(wasTraining);
        }
    }

    /// <summary>Hands one row its token and streams its update; true while the row runs on.</summary>
    private static bool Accept(SequenceTracker row, long token, Action<GenerationUpdate>? onUpdate)
    {
        if (row.Accept((int)token) is { } update)
        {
            onUpdate?.Invoke(update);
        }
        return !row.IsFinished;
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
