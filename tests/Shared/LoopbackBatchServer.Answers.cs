using System.Text.Json.Nodes;

namespace Srt.Testing;

/// <summary>The batch server's canned critic answers: the kind of call a prompt is, and the chat completion it gets.</summary>
internal sealed partial class LoopbackBatchServer
{
    /// <summary>The canned answer to a critic prompt: the instruction's number picks the case.</summary>
    public static (string Kind, string Text) Answer(string prompt)
    {
        int number = int.TryParse(CriticPromptText.InstructionOf(prompt).Split(' ')[^1], out int n) ? n : 0;
        string kind = Kind(prompt);
        string text = kind switch
        {
            "score" when number % 3 == 2 => "Weaknesses:\n- Still thin.\nSuggestions:\n- Add more.\nOverall Score: [[2]]",
            "score" => "Weaknesses:\n- Minor.\nSuggestions:\n- None needed.\nOverall Score: [[8]]",
            "critique" when number % 5 == 4 => "Weaknesses:\n- The answer is vague.\nSuggestions:\n- Be specific.\nOverall Score: [[3]]",
            "critique" when number % 7 == 6 => "Weaknesses:\n- The answer is vague.\nOverall Score: [[3]]",
            "critique" => $"Weaknesses:\n- The answer is vague.\nSuggestions:\n- Be specific.\nOverall Score: [[3]]\n\n### Improved Response\nA specific, complete answer to {number}.",
            _ => "### Improved Response\nA refined answer.",
        };
        return (kind, text);
    }

    private static string Kind(string prompt) => prompt switch
    {
        _ when prompt.Contains("Do not write an improved response.", StringComparison.Ordinal) => "score",
        _ when prompt.TrimEnd().EndsWith("### Feedback", StringComparison.Ordinal) => "critique",
        _ => "refine",
    };

    private static string PromptOf(JsonNode body) =>
        string.Concat(body["messages"]!.AsArray().Select(message => message!["content"]!.GetValue<string>()));

    private static JsonObject Completion(JsonNode body)
    {
        string prompt = PromptOf(body);
        (_, string text) = Answer(prompt);
        long promptTokens = prompt.Length / 4, completionTokens = text.Length / 4;
        return new JsonObject
        {
            ["id"] = "chatcmpl-test",
            ["object"] = "chat.completion",
            ["created"] = 0,
            ["model"] = body["model"]!.GetValue<string>(),
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text },
                ["finish_reason"] = "stop",
            }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = promptTokens, ["completion_tokens"] = completionTokens, ["total_tokens"] = promptTokens + completionTokens },
        };
    }
}
