using System.Text;
using System.Text.Json;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>
/// A Hugging Face <c>normalizer</c> from tokenizer.json, applied to each plain section between added tokens
/// (as Hugging Face does). Supports NFC/NFD/NFKC/NFKD, Lowercase, Prepend, Replace (literal) and Sequence.
/// </summary>
internal sealed class TextNormalizer
{
    private readonly List<Func<string, SectionPosition, string>> _steps = [];

    public string Normalize(string text, SectionPosition position)
    {
        foreach (var step in _steps)
        {
            text = step(text, position);
        }

        return text;
    }

    public static TextNormalizer Parse(JsonElement element, string fileName)
    {
        var normalizer = new TextNormalizer();
        if (element.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            normalizer.Add(element, fileName);
        }

        return normalizer;
    }

    private void Add(JsonElement element, string fileName)
    {
        string type = JsonFields.RequiredString(element, "type", fileName, "normalizer");
        switch (type)
        {
            case "Sequence":
                foreach (var child in JsonFields.Required(element, "normalizers", fileName, "normalizer").EnumerateArray())
                {
                    Add(child, fileName);
                }

                break;
            case "NFC":
                _steps.Add((t, _) => t.Normalize(NormalizationForm.FormC));
                break;
            case "NFD":
                _steps.Add((t, _) => t.Normalize(NormalizationForm.FormD));
                break;
            case "NFKC":
                _steps.Add((t, _) => t.Normalize(NormalizationForm.FormKC));
                break;
            case "NFKD":
                _steps.Add((t, _) => t.Normalize(NormalizationForm.FormKD));
                break;
            case "Lowercase":
                _steps.Add((t, _) => t.ToLowerInvariant());
                break;
            case "Prepend":
                string prefix = JsonFields.RequiredString(element, "prepend", fileName, "normalizer.Prepend");

                // A continuation is the middle of a section, where Hugging Face would not have prepended.
                _steps.Add((t, p) => t.Length == 0 || p == SectionPosition.Continuation ? t : prefix + t);
                break;
            case "Replace":
                var pattern = JsonFields.Required(element, "pattern", fileName, "normalizer.Replace");
                if (!pattern.TryGetProperty("String", out var literal))
                {
                    throw new NotSupportedException($"'{fileName}': normalizer.Replace with a regex pattern is not supported (only {{\"String\": ...}}).");
                }

                string from = literal.GetString() ?? "";
                string to = JsonFields.RequiredString(element, "content", fileName, "normalizer.Replace");
                _steps.Add((t, _) => from.Length == 0 ? t : t.Replace(from, to, StringComparison.Ordinal));
                break;
            default:
                throw new NotSupportedException($"'{fileName}': normalizer type '{type}' is not supported (supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace).");
        }
    }
}
