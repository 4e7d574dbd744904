using Microsoft.Extensions.AI;

namespace Srt;

/// <summary>A preference pair: for the same prompt, <paramref name="Chosen"/> is preferred over <paramref name="Rejected"/>.</summary>
/// <param name="Id">The item id, unique within a run.</param>
/// <param name="Prompt">The conversation up to the assistant's turn.</param>
/// <param name="Chosen">The preferred completion (in SRT, the refinement).</param>
/// <param name="Rejected">The dispreferred completion (in SRT, the model's own first answer).</param>
public sealed record PreferencePair(string Id, IReadOnlyList<ChatMessage> Prompt, string Chosen, string Rejected);
