using System.Text.Json;

namespace Srt.Datasets;

/// <summary>Reads TRL message lists and finds the instruction in them.</summary>
internal static class DatasetMessages
{
    private static readonly string[] Roles = ["system", "user", "assistant"];

    public static List<DatasetMessage> Read(JsonElement array, string field, string path, int lineNumber)
    {
        var messages = new List<DatasetMessage>();
        int index = 0;
        foreach (var element in array.EnumerateArray())
        {
            string where = $"{field}[{index}]";
            if (element.ValueKind != JsonValueKind.Object
                || !element.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String
                || !element.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
            {
                throw new DatasetFormatException(path, lineNumber, $"{where} must be an object with string fields 'role' and 'content'.");
            }

            string roleName = role.GetString()!;
            if (!Roles.Contains(roleName))
            {
                throw new DatasetFormatException(path, lineNumber, $"{where}.role is '{roleName}'; expected system, user or assistant.");
            }

            messages.Add(new DatasetMessage(roleName, content.GetString()!));
            index++;
        }

        return messages;
    }

    /// <summary>The instruction of a prompt or conversation: its last user message.</summary>
    public static string LastUserMessage(List<DatasetMessage> messages, string field, string path, int lineNumber) =>
        messages.LastOrDefault(m => m.Role == "user")?.Content
        ?? throw new DatasetFormatException(path, lineNumber, $"the messages of '{field}' hold no user message.");

    /// <summary>The system prompt of a conversation, or <see langword="null"/>.</summary>
    public static string? SystemMessage(List<DatasetMessage> messages) =>
        messages.FirstOrDefault(m => m.Role == "system")?.Content;
}
