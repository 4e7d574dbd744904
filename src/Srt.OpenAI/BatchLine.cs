namespace Srt.OpenAI;

/// <summary>One line of a Batch API request file.</summary>
/// <param name="CustomId">The request's id (item id plus call kind), echoed back in the output.</param>
/// <param name="Json">The whole line, without its line end: custom_id, method, url and the chat-completion body.</param>
/// <param name="EstimatedTokens">The conservative token estimate of its prompt.</param>
internal sealed record BatchLine(string CustomId, string Json, long EstimatedTokens)
{
    /// <summary>Gets the line's size in a file, line end included.</summary>
    public long Bytes { get; } = System.Text.Encoding.UTF8.GetByteCount(Json) + 1;
}
