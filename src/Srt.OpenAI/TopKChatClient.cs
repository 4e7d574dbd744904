using Microsoft.Extensions.AI;
using ChatCompletionOptions = OpenAI.Chat.ChatCompletionOptions;

namespace Srt.OpenAI;

/// <summary>
/// Sends <see cref="ChatOptions.TopK"/> as the request's <c>top_k</c> field, which vLLM, SGLang, llama.cpp and Ollama
/// accept but the OpenAI SDK has no property for (Microsoft.Extensions.AI.OpenAI drops it).
/// </summary>
internal sealed class TopKChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, WithTopK(options), cancellationToken);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, WithTopK(options), cancellationToken);

    private static ChatOptions? WithTopK(ChatOptions? options)
    {
        if (options?.TopK is not int topK || options.RawRepresentationFactory is not null)
        {
            return options;
        }

        ChatOptions copy = options.Clone();
        copy.RawRepresentationFactory = _ =>
        {
            var completionOptions = new ChatCompletionOptions();
#pragma warning disable SCME0001 // JsonPatch is marked experimental; it is the SDK's one way to add a field it has no property for.
            completionOptions.Patch.Set("$.top_k"u8, topK);
#pragma warning restore SCME0001
            return completionOptions;
        };
        return copy;
    }
}
