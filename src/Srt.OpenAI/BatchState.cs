using System.Text.Json;

namespace Srt.OpenAI;

/// <summary>What a status look at a batch returned (read from the batch object's JSON).</summary>
internal sealed record BatchState(string Status, string? OutputFileId, string? ErrorFileId, string? Reason)
{
    /// <summary>Gets a value indicating whether the batch will not change any more.</summary>
    public bool IsFinal => Status is "completed" or "failed" or "expired" or "cancelled";

    public static BatchState From(JsonElement batch)
    {
        string status = batch.GetProperty("status").GetString() ?? "unknown";
        string? reason = null;
        if (batch.TryGetProperty("errors", out JsonElement errors) && errors.ValueKind == JsonValueKind.Object
            && errors.TryGetProperty("data", out JsonElement data) && data.ValueKind == JsonValueKind.Array)
        {
            reason = string.Join("; ", data.EnumerateArray()
                .Select(error => error.TryGetProperty("message", out JsonElement message) ? message.GetString() : null)
                .Where(message => !string.IsNullOrEmpty(message)));
            reason = reason.Length == 0 ? null : reason;
        }

        return new BatchState(status, StringOrNull(batch, "output_file_id"), StringOrNull(batch, "error_file_id"), reason);
    }

    private static string? StringOrNull(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
