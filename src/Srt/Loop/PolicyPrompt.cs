using Microsoft.Extensions.AI;

namespace Srt;

/// <summary>Builds the conversation the policy answers: an optional system message, then the instruction as the user's turn.</summary>
internal static class PolicyPrompt
{
    public static IReadOnlyList<ChatMessage> Create(string? systemPrompt, string instruction)
    {
        var messages = new List<ChatMessage>(2);
        if (systemPrompt is not null)
        {
            messages.Add(new ChatMessage(ChatRole.System, systemPrompt));
        }

        messages.Add(new ChatMessage(ChatRole.User, instruction));
        return messages;
    }
}
