using Microsoft.Extensions.AI;

namespace Srt.Testing;

/// <summary>
/// An <see cref="IPolicyModel"/> for tests: its completions come from settable callbacks, and it records every call
/// in arrival order.
/// </summary>
/// <remarks>
/// Set <see cref="AnswerCallback"/> to script one answer per instruction, or <see cref="GenerateAsyncCallback"/> to
/// script whole calls (a failure, a delay, a check of the options). By default, each prompt is answered with
/// <c>"Answer to: " + instruction</c>, where the instruction is the text of the prompt's last user message.
/// </remarks>
public sealed class TestPolicyModel : IPolicyModel
{
    /// <summary>Initializes a new instance of the <see cref="TestPolicyModel"/> class.</summary>
    public TestPolicyModel()
    {
        GetServiceCallback = DefaultGetServiceCallback;
    }

    /// <summary>Gets or sets the answer to one instruction (the text of a prompt's last user message).</summary>
    /// <value>The default returns the completion <c>"Answer to: " + instruction</c>. Not used while <see cref="GenerateAsyncCallback"/> is set.</value>
    public Func<string, PolicyCompletion> AnswerCallback { get; set; } = instruction => new PolicyCompletion("Answer to: " + instruction);

    /// <summary>Gets or sets what a whole <see cref="GenerateAsync"/> call returns; it takes precedence over <see cref="AnswerCallback"/>.</summary>
    /// <value>The default is <see langword="null"/>: one answer per prompt from <see cref="AnswerCallback"/>.</value>
    public Func<IReadOnlyList<IReadOnlyList<ChatMessage>>, GenerationOptions?, CancellationToken, Task<IReadOnlyList<PolicyCompletion>>>? GenerateAsyncCallback { get; set; }

    /// <summary>Gets or sets what <see cref="GetService"/> returns.</summary>
    /// <value>The default returns this model when asked, without a key, for a type it is; otherwise <see langword="null"/>.</value>
    public Func<Type, object?, object?> GetServiceCallback { get; set; }

    /// <summary>Gets every call received, with its prompts and options, in arrival order, recorded before any callback runs.</summary>
    public RecordedCalls<TestPolicyModelCall> Calls { get; } = new();

    /// <summary>Gets the number of prompts received over all calls.</summary>
    public int PromptCount => Calls.Sum(call => call.Prompts.Count);

    /// <summary>Reads the instruction of a prompt: the text of its last user message.</summary>
    /// <param name="prompt">The conversation.</param>
    /// <returns>The instruction.</returns>
    /// <exception cref="InvalidOperationException">The prompt holds no user message.</exception>
    public static string InstructionOf(IReadOnlyList<ChatMessage> prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return prompt.Last(message => message.Role == ChatRole.User).Text;
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<PolicyCompletion>> GenerateAsync(
        IReadOnlyList<IReadOnlyList<ChatMessage>> prompts,
        GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        Calls.Add(new TestPolicyModelCall(prompts, options));
        if (GenerateAsyncCallback is { } callback)
        {
            return callback(prompts, options, cancellationToken);
        }

        var answer = AnswerCallback;
        IReadOnlyList<PolicyCompletion> completions = prompts.Select(prompt => answer(InstructionOf(prompt))).ToList();
        return Task.FromResult(completions);
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return GetServiceCallback(serviceType, serviceKey);
    }

    private TestPolicyModel? DefaultGetServiceCallback(Type serviceType, object? serviceKey) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
}
