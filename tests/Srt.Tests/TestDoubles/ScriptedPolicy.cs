using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace Srt.Tests.TestDoubles;

/// <summary>An <see cref="IPolicyModel"/> whose answers come from a settable callback; records every call.</summary>
internal sealed class ScriptedPolicy : IPolicyModel
{
    /// <summary>Gets or sets the answer to one instruction (the last user message); used when <see cref="GenerateAsyncCallback"/> is null.</summary>
    public Func<string, PolicyCompletion> Answer { get; set; } = instruction => new PolicyCompletion($"Answer to: {instruction}");

    /// <summary>Gets or sets the whole generation call; overrides <see cref="Answer"/>.</summary>
    public Func<IReadOnlyList<IReadOnlyList<ChatMessage>>, GenerationOptions?, CancellationToken, Task<IReadOnlyList<PolicyCompletion>>>? GenerateAsyncCallback { get; set; }

    /// <summary>Gets every call's prompts and options, in call order.</summary>
    public ConcurrentQueue<(IReadOnlyList<IReadOnlyList<ChatMessage>> Prompts, GenerationOptions? Options)> Calls { get; } = new();

    /// <summary>Gets the number of prompts answered.</summary>
    public int PromptCount => Calls.Sum(call => call.Prompts.Count);

    public static string InstructionOf(IReadOnlyList<ChatMessage> prompt) => prompt.Last(message => message.Role == ChatRole.User).Text;

    public Task<IReadOnlyList<PolicyCompletion>> GenerateAsync(
        IReadOnlyList<IReadOnlyList<ChatMessage>> prompts,
        GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        Calls.Enqueue((prompts, options));
        if (GenerateAsyncCallback is not null)
        {
            return GenerateAsyncCallback(prompts, options, cancellationToken);
        }

        IReadOnlyList<PolicyCompletion> completions = prompts.Select(prompt => Answer(InstructionOf(prompt))).ToList();
        return Task.FromResult(completions);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;
}
