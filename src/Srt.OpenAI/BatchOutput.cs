using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Srt.OpenAI;

/// <summary>
/// Reads a batch's output and error files into line results, parsing each answer exactly as
/// <see cref="ChatClientCritic"/> parses a synchronous one.
/// </summary>
internal static class BatchOutput
{
    /// <summary>Adds the result of every line in the output and error files to the submission.</summary>
    /// <returns>The number of answers whose improved response was dropped because the answer hit the token limit.</returns>
    public static int ReadInto(BatchSubmission submission, string output, string errors)
    {
        int truncated = 0;
        foreach (string file in new[] { output, errors })
        {
            int number = 0;
            foreach (string line in file.Split('\n'))
            {
                number++;
                if (line.Trim().Length == 0)
                {
                    continue;
                }

                (string customId, BatchLineResult result, bool cut) = Parse(line, submission.BatchId, number);
                truncated += cut ? 1 : 0;

                // An answer wins over an error for the same line, whichever file it came in.
                if (result.Critique is not null || !submission.Results.ContainsKey(customId))
                {
                    submission.Results[customId] = result;
                }
            }
        }

        return truncated;
    }

    private static (string CustomId, BatchLineResult Result, bool Truncated) Parse(string line, string? batchId, int number)
    {
        using var document = ParseLine(line, batchId, number);
        JsonElement root = document.RootElement;
        string customId = root.TryGetProperty("custom_id", out JsonElement id) && id.ValueKind == JsonValueKind.String
            ? id.GetString()!
            : throw new InvalidDataException($"The output of batch {batchId}, line {number}, has no custom_id.");
        if (root.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.Object)
        {
            return (customId, BatchLineResult.Failed(Describe(error)), false);
        }

        if (!root.TryGetProperty("response", out JsonElement response) || response.ValueKind != JsonValueKind.Object)
        {
            return (customId, BatchLineResult.Failed("the line has neither a response nor an error"), false);
        }

        int status = response.TryGetProperty("status_code", out JsonElement code) && code.TryGetInt32(out int value) ? value : 0;
        JsonElement body = response.TryGetProperty("body", out JsonElement b) ? b : default;
        if (status != 200)
        {
            string detail = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out JsonElement bodyError) && bodyError.ValueKind == JsonValueKind.Object
                ? Describe(bodyError)
                : "no error message";
            return (customId, BatchLineResult.Failed($"HTTP {status}: {detail}"), false);
        }

        if (body.ValueKind != JsonValueKind.Object
            || !body.TryGetProperty("choices", out JsonElement choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
        {
            return (customId, BatchLineResult.Failed("the answer has no choices"), false);
        }

        JsonElement choice = choices[0];
        string? finishReason = choice.TryGetProperty("finish_reason", out JsonElement finish) && finish.ValueKind == JsonValueKind.String ? finish.GetString() : null;
        string? text = choice.TryGetProperty("message", out JsonElement message) && message.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.String
            ? content.GetString()
            : null;
        if (finishReason is null || text is null)
        {
            // The synchronous critic treats an answer without a finish reason as cut short and retries it; so does this.
            return (customId, BatchLineResult.Failed("the answer has no text or no finish reason (cut short)"), false);
        }

        Critique critique = CritiqueParser.Parse(text);
        bool truncated = false;
        if (finishReason == "length" && critique.ImprovedResponse is not null)
        {
            // As ChatClientCritic: a refinement cut off at the token limit must not pass the filters as a complete one.
            critique = critique with { ImprovedResponse = null };
            truncated = true;
        }

        return (customId, BatchLineResult.Answered(critique with { Usage = UsageOf(body) }), truncated);
    }

    private static JsonDocument ParseLine(string line, string? batchId, int number)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"The output of batch {batchId}, line {number}, is not JSON: {exception.Message}", exception);
        }
    }

    private static UsageDetails? UsageOf(JsonElement body)
    {
        if (!body.TryGetProperty("usage", out JsonElement usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return new UsageDetails
        {
            InputTokenCount = Number(usage, "prompt_tokens"),
            OutputTokenCount = Number(usage, "completion_tokens"),
            TotalTokenCount = Number(usage, "total_tokens"),
        };
    }

    private static long? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.TryGetInt64(out long number) ? number : null;

    private static string Describe(JsonElement error)
    {
        string? message = error.TryGetProperty("message", out JsonElement m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        string? code = error.TryGetProperty("code", out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        return (code, message) switch
        {
            (null, null) => "unspecified error",
            (null, _) => message!,
            (_, null) => code,
            _ => $"{code}: {message}",
        };
    }
}
