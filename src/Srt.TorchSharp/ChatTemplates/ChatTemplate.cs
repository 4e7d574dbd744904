using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.ChatTemplates;

/// <summary>
/// The built-in chat templates: pick one by name, or let Srt recognise the model's own Jinja
/// <c>chat_template</c> from tokenizer_config.json by its distinctive markers.
/// </summary>
public static class ChatTemplate
{
    /// <summary>Gets the names of the built-in templates.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["chatml", "llama3", "tulu", "mistral", "mistral-v3", "phi3", "qwen3", "qwen3-thinking", "gemma", "olmo2", "smollm3", "smollm3-thinking"];

    /// <summary>Returns the built-in template called <paramref name="name"/> (case-insensitive).</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="endOfSequenceToken">The EOS text that closes a turn in Tulu, OLMo 2 and Mistral formats. The default is <c>&lt;/s&gt;</c>.</param>
    /// <returns>The template.</returns>
    /// <exception cref="ArgumentException">The name is not a built-in template.</exception>
    public static IChatTemplate Get(string name, string? endOfSequenceToken = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        string eos = string.IsNullOrEmpty(endOfSequenceToken) ? "</s>" : endOfSequenceToken;
        return name.Trim().ToLowerInvariant() switch
        {
            "chatml" or "qwen" or "qwen2" => new ChatMLChatTemplate(),
            "qwen3" => new Qwen3ChatTemplate(thinking: false),
            "qwen3-thinking" => new Qwen3ChatTemplate(thinking: true),
            "gemma" or "gemma2" or "gemma3" => new GemmaChatTemplate(),
            "olmo2" or "tulu3" => new Olmo2ChatTemplate(eos),
            "smollm3" => new SmolLM3ChatTemplate(thinking: false),
            "smollm3-thinking" => new SmolLM3ChatTemplate(thinking: true),
            "llama3" or "llama-3" => new Llama3ChatTemplate(),
            "tulu" or "tulu2" => new TuluChatTemplate(eos),
            "mistral" or "mistral-v1" => new MistralChatTemplate(v3: false, eos),
            "mistral-v3" => new MistralChatTemplate(v3: true, eos),
            "phi3" or "phi-3" => new Phi3ChatTemplate(),
            _ => throw new ArgumentException(
                $"Unknown chat template '{name}'. Built-in templates: {string.Join(", ", Names)}.", nameof(name)),
        };
    }

    /// <summary>
    /// Recognises a Jinja chat template by its markers: <c>&lt;|im_start|&gt;</c> with SmolLM3's
    /// <c>Reasoning Mode</c> header → smollm3, with <c>&lt;think&gt;</c> and <c>enable_thinking</c> → qwen3, else
    /// chatml; <c>&lt;start_of_turn&gt;</c> → gemma; <c>&lt;|start_header_id|&gt;</c> → llama3; <c>[INST]</c> →
    /// mistral (mistral-v3 when no space precedes <c>[/INST]</c>); <c>&lt;|user|&gt;</c> with <c>&lt;|end|&gt;</c> →
    /// phi3, with Tülu 3's <c>not loop.last</c> → olmo2, else tulu. Models that can think (Qwen3, SmolLM3) get the
    /// variant without thinking, which answers directly; name the <c>-thinking</c> variant to keep it.
    /// </summary>
    /// <param name="jinjaTemplate">The <c>chat_template</c> string; null when the model has none.</param>
    /// <param name="endOfSequenceToken">The tokenizer's EOS text, used by Tulu and Mistral formats.</param>
    /// <returns>The matching built-in template.</returns>
    /// <exception cref="NotSupportedException">No built-in template matches; the message says how to choose one.</exception>
    public static IChatTemplate Detect(string? jinjaTemplate, string? endOfSequenceToken = null)
    {
        if (jinjaTemplate?.Contains("<<SYS>>", StringComparison.Ordinal) == true)
        {
            // Llama 2 chat wraps the system prompt in <<SYS>> tags and repeats <s> per turn; the Mistral format
            // differs there, so it is not picked silently.
            throw new NotSupportedException(
                "The model's chat_template is Llama 2 chat ([INST] <<SYS>>), which is not built in. "
                + $"ChatTemplate.Get(\"mistral\") renders it exactly for one user turn without a system message; built-in templates: {string.Join(", ", Names)}.");
        }

        string? name = jinjaTemplate switch
        {
            null or "" => null,
            _ when jinjaTemplate.Contains("<|im_start|>", StringComparison.Ordinal) && jinjaTemplate.Contains("Reasoning Mode", StringComparison.Ordinal) => "smollm3",
            _ when jinjaTemplate.Contains("<|im_start|>", StringComparison.Ordinal) && jinjaTemplate.Contains("<think>", StringComparison.Ordinal)
                && jinjaTemplate.Contains("enable_thinking", StringComparison.Ordinal) => "qwen3",
            _ when jinjaTemplate.Contains("<|im_start|>", StringComparison.Ordinal) => "chatml",
            _ when jinjaTemplate.Contains("<start_of_turn>", StringComparison.Ordinal) => "gemma",
            _ when jinjaTemplate.Contains("<|start_header_id|>", StringComparison.Ordinal) => "llama3",
            _ when jinjaTemplate.Contains("[INST]", StringComparison.Ordinal) =>
                jinjaTemplate.Contains(" [/INST]", StringComparison.Ordinal) ? "mistral" : "mistral-v3",
            _ when jinjaTemplate.Contains("<|user|>", StringComparison.Ordinal) =>
                jinjaTemplate.Contains("<|end|>", StringComparison.Ordinal) ? "phi3"
                : jinjaTemplate.Contains("not loop.last", StringComparison.Ordinal) ? "olmo2" : "tulu",
            _ => null,
        };
        if (name is null)
        {
            string what = string.IsNullOrEmpty(jinjaTemplate)
                ? "The model has no chat_template (in chat_template.jinja or tokenizer_config.json)"
                : "The model's chat_template matches none of Srt's built-in templates";
            throw new NotSupportedException(
                $"{what}. Choose one explicitly with ChatTemplate.Get(name); built-in templates: {string.Join(", ", Names)}.");
        }

        return Get(name, endOfSequenceToken);
    }

    /// <summary>Returns the template named <paramref name="name"/>, or else the one detected from the tokenizer's config.</summary>
    /// <param name="tokenizer">The model's tokenizer (supplies chat_template and EOS text).</param>
    /// <param name="name">An explicit template name; null to detect.</param>
    /// <returns>The template.</returns>
    public static IChatTemplate For(ModelTokenizer tokenizer, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return name is null ? Detect(tokenizer.ChatTemplate, tokenizer.EosToken) : Get(name, tokenizer.EosToken);
    }
}
