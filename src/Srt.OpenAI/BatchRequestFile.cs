using System.Text;
using System.Text.Json;

namespace Srt.OpenAI;

/// <summary>Writes critique requests as Batch API lines and splits them into files by the API's limits and the token budget.</summary>
internal static class BatchRequestFile
{
    public const string Endpoint = "/v1/chat/completions";

    /// <summary>
    /// Builds the line for one request: its body is the request the synchronous critic sends (the same prompt from
    /// <see cref="CritiquePrompt"/>, model, temperature and token limit), so a batch answer equals a synchronous one.
    /// </summary>
    public static BatchLine CreateLine(string customId, CritiqueRequest request, string model, ChatClientCriticOptions critic, int tokensPerRequest)
    {
        string prompt = critic.Prompt.BuildCritiqueText(request);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("custom_id", customId);
            json.WriteString("method", "POST");
            json.WriteString("url", Endpoint);
            json.WriteStartObject("body");
            json.WriteStartArray("messages");
            json.WriteStartObject();
            json.WriteString("role", "user");
            json.WriteString("content", prompt);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString("model", model);
            json.WriteNumber("temperature", critic.Temperature);
            json.WriteNumber("max_completion_tokens", critic.MaxOutputTokens);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        // A byte-level BPE token covers at least one byte, so the prompt's UTF-8 size bounds its token count from above.
        long estimate = Encoding.UTF8.GetByteCount(prompt) + tokensPerRequest;
        return new BatchLine(customId, Encoding.UTF8.GetString(buffer.ToArray()), estimate);
    }

    /// <summary>Splits lines, in order, into files within the request, byte and token limits.</summary>
    /// <exception cref="InvalidOperationException">One request alone exceeds the byte limit or the token budget.</exception>
    public static List<List<BatchLine>> Split(IEnumerable<BatchLine> lines, OpenAIBatchOptions options)
    {
        var files = new List<List<BatchLine>>();
        var current = new List<BatchLine>();
        long bytes = 0, tokens = 0;
        foreach (BatchLine line in lines)
        {
            if (line.Bytes > options.MaxBytesPerFile)
            {
                throw new InvalidOperationException($"The batch request '{line.CustomId}' takes {line.Bytes} bytes, more than {nameof(OpenAIBatchOptions.MaxBytesPerFile)} ({options.MaxBytesPerFile}).");
            }

            if (line.EstimatedTokens > options.EnqueuedTokenBudget)
            {
                throw new InvalidOperationException($"The batch request '{line.CustomId}' is estimated at {line.EstimatedTokens} tokens, more than {nameof(OpenAIBatchOptions.EnqueuedTokenBudget)} ({options.EnqueuedTokenBudget}).");
            }

            if (current.Count > 0
                && (current.Count == options.MaxRequestsPerFile || bytes + line.Bytes > options.MaxBytesPerFile || tokens + line.EstimatedTokens > options.EnqueuedTokenBudget))
            {
                files.Add(current);
                current = [];
                bytes = tokens = 0;
            }

            current.Add(line);
            bytes += line.Bytes;
            tokens += line.EstimatedTokens;
        }

        if (current.Count > 0)
        {
            files.Add(current);
        }

        return files;
    }

    /// <summary>Gets the bytes of a request file: each line and its line end.</summary>
    public static byte[] Content(IEnumerable<BatchLine> lines)
    {
        var text = new StringBuilder();
        foreach (BatchLine line in lines)
        {
            text.Append(line.Json).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Reads a request file written by <see cref="Content"/> back into lines (custom ids and exact text).</summary>
    public static List<BatchLine> Read(string path)
    {
        var lines = new List<BatchLine>();
        int number = 0;
        foreach (string text in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            if (text.Length == 0)
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(text);
                string customId = document.RootElement.GetProperty("custom_id").GetString()
                    ?? throw new InvalidDataException($"{path}:{number}: custom_id is null.");
                lines.Add(new BatchLine(customId, text, 0));
            }
            catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}:{number}: not a batch request line: {exception.Message}", exception);
            }
        }

        return lines;
    }
}
