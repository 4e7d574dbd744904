using Microsoft.Extensions.AI;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Generation;

namespace Srt.TorchSharp;

/// <summary>
/// The policy model of the self-refinement loop on TorchSharp: renders each conversation with the model's chat
/// template, generates the answers with continuous batching (or static batches, see
/// <see cref="TorchSharpPolicyModelOptions.Batching"/>), and reports token counts and why each answer ended.
/// </summary>
/// <remarks>
/// <para>Calls are serialized through <see cref="CausalLanguageModel.RunExclusiveAsync{T}"/> (the model is not
/// thread-safe, and a trainer may change its weights between calls). Sampling stays reproducible because prompt
/// <c>i</c> of a call always draws from a generator seeded with <see cref="GenerationOptions.Seed"/> + <c>i</c>,
/// whatever slot or batch it lands in; greedy output does not depend on batching.</para>
/// <para>Every prompt is tokenized and checked against the sequence limit (the model's <c>max_position_embeddings</c>,
/// or <see cref="TorchSharpPolicyModelOptions.MaxSequenceTokens"/> when smaller) before any generation. A prompt that
/// leaves no room for a new token gets <see cref="PolicyCompletion.Failed"/> with a message naming the limit, and
/// the other prompts of the call are generated as usual. A prompt that fits but leaves less room than
/// <see cref="GenerationOptions.MaxNewTokens"/> is generated up to the limit and ends with
/// <see cref="CompletionFinishReason.Length"/>, as vLLM and Hugging Face do.</para>
/// <para>The bundle is not owned: dispose it yourself.</para>
/// </remarks>
public sealed class TorchSharpPolicyModel : IPolicyModel
{
    private readonly TorchSharpPolicyModelOptions _options;

    /// <summary>Creates a policy model over a loaded model bundle.</summary>
    /// <param name="model">The model, tokenizer and chat template.</param>
    /// <param name="options">Batch size and default sampling settings; validated.</param>
    public TorchSharpPolicyModel(CausalLanguageModel model, TorchSharpPolicyModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new TorchSharpPolicyModelOptions();
        options.Validate();
        GenerationOptionsValidation.Validate(options.DefaultGenerationOptions);
        Model = model;
        _options = options;
    }

    /// <summary>Gets the model bundle.</summary>
    public CausalLanguageModel Model { get; }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PolicyCompletion>> GenerateAsync(
        IReadOnlyList<IReadOnlyList<ChatMessage>> prompts, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var settings = (options ?? _options.DefaultGenerationOptions).Clone();
        GenerationOptionsValidation.Validate(settings);
        if (prompts.Count == 0)
        {
            return [];
        }
        var baseSeed = settings.Seed ?? Random.Shared.NextInt64();
        return await Model.RunExclusiveAsync(() => GenerateAll(prompts, settings, baseSeed, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
    }

    private PolicyCompletion[] GenerateAll(
        IReadOnlyList<IReadOnlyList<ChatMessage>> prompts, GenerationOptions settings, long baseSeed, CancellationToken cancellationToken)
    {
        var generator = Model.Generator;
        var limit = Math.Min(generator.MaxSequenceTokens, _options.MaxSequenceTokens ?? int.MaxValue);
        var limitName = limit < generator.MaxSequenceTokens
            ? "TorchSharpPolicyModelOptions.MaxSequenceTokens"
            : "the model's max_position_embeddings";
        var completions = new PolicyCompletion[prompts.Count];
        var encoded = new IReadOnlyList<int>[prompts.Count];
        var runnable = new List<int>(prompts.Count);
        for (var i = 0; i < prompts.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(prompts[i], $"prompts[{i}]");
            cancellationToken.ThrowIfCancellationRequested();
            encoded[i] = Model.ChatTemplate.EncodePrompt(Model.Tokenizer, prompts[i]);
            // Checked before any generation: a prompt that cannot fit fails alone and the others go on.
            if (SequenceBudget.Check(encoded[i].Count, limit, limitName) is { } error)
            {
                completions[i] = PolicyCompletion.Failed($"Prompt too long: {error}", encoded[i].Count);
            }
            else
            {
                runnable.Add(i);
            }
        }

        if (_options.Batching == GenerationBatching.Continuous)
        {
            if (runnable.Count > 0)
            {
                Store(runnable.ToArray(), generator.GenerateContinuous(Plan(runnable), _options.BatchSize, null, cancellationToken));
            }
            return completions;
        }

        // Static batches in order of length waste less compute on padding.
        foreach (var batch in runnable.OrderBy(i => encoded[i].Count).Chunk(_options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            Store(batch, generator.Generate(Plan(batch), null, cancellationToken));
        }
        return completions;

        GenerationPlan Plan(IReadOnlyList<int> rows) => new(rows.Select(i => encoded[i]).ToArray(), settings, rows.Select(i => baseSeed + i).ToArray())
        {
            MaxSequenceTokens = _options.MaxSequenceTokens,
            LimitName = "TorchSharpPolicyModelOptions.MaxSequenceTokens",
        };

        void Store(int[] rows, GenerationOutput output)
        {
            for (var row = 0; row < rows.Length; row++)
            {
                var result = output.Sequences[row];
                completions[rows[row]] = new PolicyCompletion(result.Text, result.FinishReason, result.PromptTokens, result.CompletionTokens);
            }
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }
        object?[] services = [this, Model, Model.Model, Model.Tokenizer, Model.ChatTemplate, Model.Generator];
        return services.FirstOrDefault(serviceType.IsInstanceOfType);
    }
}
