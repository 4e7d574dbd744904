using Microsoft.Extensions.AI;
using ChatCompletionOptions = OpenAI.Chat.ChatCompletionOptions;

namespace Srt.OpenAI;

/// <summary>
/// Adds the request fields OpenAI-compatible servers read but the OpenAI SDK has no property for:
/// <see cref="ChatOptions.TopK"/> as <c>top_k</c> (vLLM, SGLang, llama.cpp, Ollama; Microsoft.Extensions.AI.OpenAI
/// drops it), and, for servers other than the OpenAI API, the token limit also as the older <c>max_tokens</c>, which
/// servers that predate <c>max_completion_tokens</c> read instead.
/// </summary>
internal sealed class CompatibleServerChatClient(IChatClient innerClient, bool sendMaxTokens) : DelegatingChatClient(innerClient)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, WithServerFields(options), cancellationToken);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, WithServerFields(options), cancellationToken);

    private ChatOptions? WithServerFields(ChatOptions? options)
    {
        int? topK = options?.TopK;
        int? maxTokens = sendMaxTokens ? options?.MaxOutputTokens : null;
        if (options is null || (topK is null && maxTokens is null) || options.RawRepresentationFactory is not null)
        {
            return options;
        }

        ChatOptions copy = options.Clone();
        copy.RawRepresentationFactory = _ =>
        {
            var completionOptions = new ChatCompletionOptions();
#pragma warning disable SCME0001 // JsonPatch is marked experimental; it is the SDK's one way to add a field it has no property for.
            if (topK is int k)
            {
                completionOptions.Patch.Set("$.top_k"u8, k);
            }

            if (maxTokens is int max)
            {
                completionOptions.Patch.Set("$.max_tokens"u8, max);
            }
#pragma warning restore SCME0001
            return completionOptions;
        };
        return copy;
    }
}
