namespace Srt.Datasets;

/// <summary>One chat message of a TRL conversational dataset: <c>{"role": …, "content": …}</c>.</summary>
/// <param name="Role">The role: <c>system</c>, <c>user</c> or <c>assistant</c>.</param>
/// <param name="Content">The text.</param>
public sealed record DatasetMessage(string Role, string Content);
