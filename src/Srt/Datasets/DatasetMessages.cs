using System.Text.Json;

namespace Srt.Datasets;

/// <summary>
/// Reads message lists and finds the instruction in them: TRL's <c>{"role", "content"}</c> messages, and ShareGPT's
/// <c>{"from", "value"}</c> turns (<c>human</c> is the user; <c>gpt</c>, <c>chatgpt</c>, <c>bing</c>, <c>bard</c> and
/// <c>model</c> are the assistant).
/// </summary>
internal static class DatasetMessages
{
    private static readonly string[] Roles = ["system", "user", "assistant"];

    public static List<DatasetMessage> Read(JsonElement array, string field, DatasetRow row)
    {
        var messages = new List<DatasetMessage>();
        int index = 0;
        foreach (var element in array.EnumerateArray())
        {
            string where = $"{field}[{index}]";
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw row.Error($"{where} must be an object with string fields 'role' and 'content' (or ShareGPT's 'from' and 'value').", field);
            }

            bool shareGpt = !element.TryGetProperty("role", out _) && element.TryGetProperty("from", out _);
            (string roleField, string contentField) = shareGpt ? ("from", "value") : ("role", "content");
            if (!element.TryGetProperty(roleField, out var role) || role.ValueKind != JsonValueKind.String
                || !element.TryGetProperty(contentField, out var content) || content.ValueKind != JsonValueKind.String)
            {
                throw row.Error($"{where} must be an object with string fields 'role' and 'content' (or ShareGPT's 'from' and 'value').", field);
            }

            string roleName = shareGpt ? ShareGptRole(role.GetString()!) : role.GetString()!;
            if (!Roles.Contains(roleName))
            {
                throw row.Error(
                    shareGpt
                        ? $"{where}.from is '{role.GetString()}'; expected system, human (or user), or gpt (chatgpt, bing, bard, model, assistant)."
                        : $"{where}.role is '{roleName}'; expected system, user or assistant.",
                    field);
            }

            messages.Add(new DatasetMessage(roleName, content.GetString()!));
            index++;
        }

        return messages;
    }

    /// <summary>The instruction of a prompt or conversation: its last user message.</summary>
    public static string LastUserMessage(List<DatasetMessage> messages, string field, DatasetRow row) =>
        messages.LastOrDefault(m => m.Role == "user")?.Content
        ?? throw row.Error($"the messages of '{field}' hold no user message.", field);

    /// <summary>The system prompt of a conversation, or <see langword="null"/>.</summary>
    public static string? SystemMessage(List<DatasetMessage> messages) =>
        messages.FirstOrDefault(m => m.Role == "system")?.Content;

    private static string ShareGptRole(string from) => from switch
    {
        "human" or "user" => "user",
        "gpt" or "chatgpt" or "bing" or "bard" or "model" or "assistant" => "assistant",
        _ => from,
    };
}
