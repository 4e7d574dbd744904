using Microsoft.Extensions.AI;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Generation;

namespace Srt.TorchSharp;

/// <summary>
/// The policy model of the self-refinement loop on TorchSharp: renders each conversation with the model's chat
/// template, generates the answers in batches, and reports token counts and why each answer ended.
/// </summary>
/// <remarks>
/// Calls are serialized through <see cref="CausalLanguageModel.RunExclusiveAsync{T}"/> (the model is not
/// thread-safe, and a trainer may change its weights between calls). Prompts are batched in order of length, which
/// wastes less compute on padding; sampling stays reproducible because prompt <c>i</c> of a call always draws from a
/// generator seeded with <see cref="GenerationOptions.Seed"/> + <c>i</c>, whatever batch it lands in. The bundle is
/// not owned: dispose it yourself.
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
        var encoded = new IReadOnlyList<int>[prompts.Count];
        for (var i = 0; i < prompts.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(prompts[i], $"prompts[{i}]");
            encoded[i] = Model.ChatTemplate.EncodePrompt(Model.Tokenizer, prompts[i]);
        }
        var order = Enumerable.Range(0, prompts.Count).OrderBy(i => encoded[i].Count).ToArray();
        var completions = new PolicyCompletion[prompts.Count];
        foreach (var batch in order.Chunk(_options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var output = Model.Generator.Generate(
                batch.Select(i => encoded[i]).ToArray(), settings, batch.Select(i => baseSeed + i).ToArray(), null, cancellationToken);
            for (var row = 0; row < batch.Length; row++)
            {
                var result = output.Sequences[row];
                completions[batch[row]] = new PolicyCompletion(result.Text, result.FinishReason, result.PromptTokens, result.CompletionTokens);
            }
        }
        return completions;
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
