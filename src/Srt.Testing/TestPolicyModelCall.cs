using Microsoft.Extensions.AI;

namespace Srt.Testing;

/// <summary>One call a <see cref="TestPolicyModel"/> received.</summary>
/// <param name="Prompts">The conversations it was asked to complete, in the order given.</param>
/// <param name="Options">The sampling settings passed, or <see langword="null"/> when none were.</param>
public sealed record TestPolicyModelCall(IReadOnlyList<IReadOnlyList<ChatMessage>> Prompts, GenerationOptions? Options);
