using Microsoft.Extensions.AI;

namespace Srt;

/// <summary>
/// The one mapping from the loop's sampling settings to a policy request, and from a server's answer back to a
/// <see cref="PolicyCompletion"/>, shared by <see cref="ChatClientPolicyModel"/> (requests over HTTP) and
/// <see cref="PolicyBatchFiles"/> (the same requests written to an OpenAI-batch file for <c>vllm run-batch</c>),
/// so both send the same thing and accept the same answers.
/// </summary>
internal static class PolicyRequests
{
    /// <summary>Creates the request settings of prompt <paramref name="index"/> of one generation call.</summary>
    /// <param name="modelId">The model id sent with the request, or <see langword="null"/>.</param>
    /// <param name="settings">The call's sampling settings.</param>
    /// <param name="index">The prompt's position in the call: its seed is <see cref="GenerationOptions.Seed"/> + index.</param>
    public static ChatOptions CreateChatOptions(string? modelId, GenerationOptions settings, int index)
    {
        var chatOptions = new ChatOptions
        {
            ModelId = modelId,
            Temperature = settings.Temperature,
            TopP = settings.TopP,
            TopK = settings.TopK > 0 ? settings.TopK : null,
            MaxOutputTokens = settings.MaxNewTokens,
            Seed = settings.Seed is long seed ? unchecked(seed + index) : null,
        };
        if (settings.StopSequences.Count > 0)
        {
            chatOptions.StopSequences = [.. settings.StopSequences];
        }

        return chatOptions;
    }

    /// <summary>
    /// Turns a server's answer into a completion: <c>stop</c> and <c>length</c> are answers; no finish reason (a
    /// stream cut short), a content filter or a tool call is not a complete answer, so the item fails rather than
    /// passing on as one.
    /// </summary>
    public static PolicyCompletion ToCompletion(string text, ChatFinishReason? finish, int? promptTokens, int? completionTokens)
    {
        if (finish == ChatFinishReason.Stop)
        {
            return new PolicyCompletion(text, CompletionFinishReason.Stop, promptTokens, completionTokens);
        }

        if (finish == ChatFinishReason.Length)
        {
            return new PolicyCompletion(text, CompletionFinishReason.Length, promptTokens, completionTokens);
        }

        string reason = finish is null
            ? "the server sent no finish reason, so the text may be truncated"
            : $"the server ended the completion with finish reason '{finish.Value.Value}', not 'stop' or 'length'";
        return PolicyCompletion.Failed(reason, promptTokens);
    }
}
