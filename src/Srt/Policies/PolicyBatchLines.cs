using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Srt;

/// <summary>
/// The OpenAI-batch line formats as <c>vllm run-batch</c> reads and writes them: a request line
/// <c>{"custom_id","method":"POST","url":"/v1/chat/completions","body":{…}}</c> and an output line
/// <c>{"id","custom_id","response":{"status_code","request_id","body":{chat completion}},"error"}</c>.
/// </summary>
internal static class PolicyBatchLines
{
    public const string ChatCompletionsUrl = "/v1/chat/completions";

    /// <summary>Writes one request line. The body holds what an OpenAI-compatible client sends for these options.</summary>
    public static void WriteRequest(Stream stream, string customId, IReadOnlyList<ChatMessage> prompt, ChatOptions options)
    {
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("custom_id", customId);
            json.WriteString("method", "POST");
            json.WriteString("url", ChatCompletionsUrl);
            json.WriteStartObject("body");
            json.WriteString("model", options.ModelId);
            json.WriteStartArray("messages");
            foreach (ChatMessage message in prompt)
            {
                json.WriteStartObject();
                json.WriteString("role", message.Role.Value);
                json.WriteString("content", message.Text);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteNumber(json, "temperature", options.Temperature);
            WriteNumber(json, "top_p", options.TopP);
            if (options.TopK is int topK)
            {
                json.WriteNumber("top_k", topK);
            }

            // Both names, as Srt's client for OpenAI-compatible servers sends them: newer servers read the first,
            // older ones only the second.
            if (options.MaxOutputTokens is int maxTokens)
            {
                json.WriteNumber("max_completion_tokens", maxTokens);
                json.WriteNumber("max_tokens", maxTokens);
            }

            if (options.Seed is long seed)
            {
                json.WriteNumber("seed", seed);
            }

            if (options.StopSequences is { Count: > 0 } stops)
            {
                json.WriteStartArray("stop");
                foreach (string stop in stops)
                {
                    json.WriteStringValue(stop);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
    }

    /// <summary>Reads an output file: per line its number, custom id and completion (failed for an error line). A torn last line is skipped.</summary>
    public static IEnumerable<(int Line, string CustomId, PolicyCompletion Completion)> ReadOutputs(string path)
    {
        string[] lines = File.ReadAllLines(path);
        int last = Array.FindLastIndex(lines, line => !string.IsNullOrWhiteSpace(line));
        bool endsWithNewline = new FileInfo(path).Length > 0 && File.ReadAllBytes(path)[^1] == (byte)'\n';
        for (int index = 0; index <= last; index++)
        {
            if (string.IsNullOrWhiteSpace(lines[index]))
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(lines[index]);
            }
            catch (JsonException) when (index == last && !endsWithNewline)
            {
                // The engine stopped mid-line; that item stays missing and goes into the next request file.
                yield break;
            }
            catch (JsonException exception)
            {
                throw Invalid(path, index + 1, $"not JSON: {exception.Message}", exception);
            }

            using (document)
            {
                yield return Parse(path, index + 1, document.RootElement);
            }
        }
    }

    private static (int, string, PolicyCompletion) Parse(string path, int line, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("custom_id", out JsonElement id) || id.ValueKind != JsonValueKind.String)
        {
            throw Invalid(path, line, "no string field 'custom_id'; is this a batch output file?");
        }

        string customId = id.GetString()!;
        JsonElement response = root.TryGetProperty("response", out JsonElement r) ? r : default;
        int status = response.ValueKind == JsonValueKind.Object && response.TryGetProperty("status_code", out JsonElement code) && code.TryGetInt32(out int value) ? value : 0;
        JsonElement body = response.ValueKind == JsonValueKind.Object && response.TryGetProperty("body", out JsonElement b) ? b : default;
        bool hasError = root.TryGetProperty("error", out JsonElement error) && error.ValueKind != JsonValueKind.Null;
        if (hasError || status != 200 || body.ValueKind != JsonValueKind.Object)
        {
            string http = status > 0 ? string.Create(CultureInfo.InvariantCulture, $" (HTTP {status})") : string.Empty;
            return (line, customId, PolicyCompletion.Failed($"the batch engine answered with an error{http}: {Describe(error)}"));
        }

        if (!body.TryGetProperty("choices", out JsonElement choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
        {
            throw Invalid(path, line, "response.body has no 'choices'; only chat completions are read back.");
        }

        JsonElement choice = choices[0];
        string text = choice.TryGetProperty("message", out JsonElement message) && message.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.String
            ? content.GetString()!
            : string.Empty;
        ChatFinishReason? finish = choice.TryGetProperty("finish_reason", out JsonElement reason) && reason.ValueKind == JsonValueKind.String
            ? new ChatFinishReason(reason.GetString()!)
            : null;
        int? promptTokens = null;
        int? completionTokens = null;
        if (body.TryGetProperty("usage", out JsonElement usage) && usage.ValueKind == JsonValueKind.Object)
        {
            promptTokens = usage.TryGetProperty("prompt_tokens", out JsonElement p) && p.TryGetInt32(out int prompt) ? prompt : null;
            completionTokens = usage.TryGetProperty("completion_tokens", out JsonElement c) && c.TryGetInt32(out int completion) ? completion : null;
        }

        return (line, customId, PolicyRequests.ToCompletion(text, finish, promptTokens, completionTokens));
    }

    /// <summary>The error's message (vLLM writes a string or an error object); never request or response text.</summary>
    private static string Describe(JsonElement error) => error.ValueKind switch
    {
        JsonValueKind.String => error.GetString()!,
        JsonValueKind.Object when error.TryGetProperty("error", out JsonElement inner) && inner.TryGetProperty("message", out JsonElement m) => m.ToString(),
        JsonValueKind.Object when error.TryGetProperty("message", out JsonElement m) => m.ToString(),
        JsonValueKind.Undefined or JsonValueKind.Null => "no body",
        _ => error.GetRawText(),
    };

    private static void WriteNumber(Utf8JsonWriter json, string name, float? value)
    {
        if (value is float number)
        {
            json.WriteNumber(name, number);
        }
    }

    private static InvalidDataException Invalid(string path, int line, string problem, Exception? inner = null) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{path}, line {line}: {problem}"), inner);
}
