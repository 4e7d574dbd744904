using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>What a Hugging Face tokenizer.json yields: the model codec, its added tokens, and the ids its
/// post-processor wraps a single sequence with (BOS/EOS).</summary>
internal sealed record HuggingFaceTokenizerJson(
    TokenizerModelCodec Codec, IReadOnlyList<AddedToken> AddedTokens, string? PrefixToken, string? SuffixToken)
{
    /// <summary>
    /// Converts a tokenizer.json whose model is BPE: byte-level (ByteLevel pre-tokenizer, optionally after a
    /// Split regex) or SentencePiece-style (Metaspace pre-tokenizer, or the legacy Prepend+Replace normalizer).
    /// </summary>
    public static HuggingFaceTokenizerJson Load(string path)
    {
        string fileName = Path.GetFileName(path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            var model = JsonFields.Required(root, "model", fileName, "$");
            string type = JsonFields.OptionalString(model, "type") ?? "BPE";
            if (type != "BPE")
            {
                throw new NotSupportedException($"'{path}': model.type '{type}' is not supported; Srt converts BPE tokenizers only (byte-level or SentencePiece-style).");
            }

            var vocabulary = ReadVocabulary(JsonFields.Required(model, "vocab", fileName, "model"), fileName);
            var merges = ReadMerges(JsonFields.Required(model, "merges", fileName, "model"), fileName);
            var added = ReadAddedTokens(JsonFields.Optional(root, "added_tokens"), fileName);
            var normalizer = TextNormalizer.Parse(JsonFields.Optional(root, "normalizer"), fileName);
            var preTokenizer = JsonFields.Optional(root, "pre_tokenizer");
            var (prefix, suffix) = ReadPostProcessor(JsonFields.Optional(root, "post_processor"));
            bool ignoreMerges = JsonFields.OptionalBool(model, "ignore_merges", false);

            var byteLevel = FindByType(preTokenizer, "ByteLevel");
            TokenizerModelCodec codec;
            if (byteLevel.ValueKind != JsonValueKind.Undefined)
            {
                var split = FindByType(preTokenizer, "Split");
                string pattern = split.ValueKind != JsonValueKind.Undefined
                    ? JsonFields.OptionalString(JsonFields.Required(split, "pattern", fileName, "pre_tokenizer.Split"), "Regex")
                        ?? throw new NotSupportedException($"'{path}': pre_tokenizer.Split needs a Regex pattern.")
                    : JsonFields.OptionalBool(byteLevel, "use_regex", true) ? ByteLevelBpeCodec.Gpt2Pattern : @"[\s\S]+";
                var inner = BpeTokenizer.Create(new BpeOptions(vocabulary) { Merges = merges, ByteLevel = true });
                codec = new ByteLevelBpeCodec(
                    inner, vocabulary, new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled),
                    normalizer, JsonFields.OptionalBool(byteLevel, "add_prefix_space", false), ignoreMerges);
            }
            else
            {
                codec = CreateMetaspaceCodec(path, model, vocabulary, merges, normalizer, preTokenizer, root);
            }

            return new HuggingFaceTokenizerJson(codec, added, prefix, suffix);
        }
    }

    private static MetaspaceBpeCodec CreateMetaspaceCodec(
        string path, JsonElement model, Dictionary<string, int> vocabulary, List<string> merges,
        TextNormalizer normalizer, JsonElement preTokenizer, JsonElement root)
    {
        var metaspace = FindByType(preTokenizer, "Metaspace");
        if (preTokenizer.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) && metaspace.ValueKind == JsonValueKind.Undefined)
        {
            string? kind = JsonFields.OptionalString(preTokenizer, "type");
            throw new NotSupportedException($"'{path}': pre_tokenizer '{kind}' is not supported (supported: ByteLevel, Split+ByteLevel, Metaspace, none).");
        }

        var prepend = MetaspacePrepend.Never;
        if (metaspace.ValueKind != JsonValueKind.Undefined)
        {
            prepend = JsonFields.OptionalString(metaspace, "prepend_scheme") switch
            {
                "first" => MetaspacePrepend.First,
                "never" => MetaspacePrepend.Never,
                "always" => MetaspacePrepend.Always,
                _ => JsonFields.OptionalBool(metaspace, "add_prefix_space", true) ? MetaspacePrepend.Always : MetaspacePrepend.Never,
            };
        }

        // The decoder's Strip (or Metaspace) step drops the first token's leading space.
        var decoder = JsonFields.Optional(root, "decoder");
        bool strips = FindByType(decoder, "Strip").ValueKind != JsonValueKind.Undefined
            || (FindByType(decoder, "Metaspace") is var md && md.ValueKind != JsonValueKind.Undefined
                && JsonFields.OptionalString(md, "prepend_scheme") != "never"
                && JsonFields.OptionalBool(md, "add_prefix_space", true));

        string? unknown = JsonFields.OptionalString(model, "unk_token");
        var options = new BpeOptions(vocabulary)
        {
            Merges = merges,
            UnknownToken = unknown is not null && vocabulary.ContainsKey(unknown) ? unknown : null,
            FuseUnknownTokens = JsonFields.OptionalBool(model, "fuse_unk", false),
        };
        return new MetaspaceBpeCodec(
            BpeTokenizer.Create(options), vocabulary, normalizer, prepend,
            replaceSpaces: metaspace.ValueKind != JsonValueKind.Undefined,
            byteFallback: JsonFields.OptionalBool(model, "byte_fallback", false),
            stripsLeadingSpace: strips);
    }

    private static Dictionary<string, int> ReadVocabulary(JsonElement vocab, string fileName)
    {
        if (vocab.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"'{fileName}': model.vocab must be an object of token → id.");
        }

        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw new InvalidDataException($"'{fileName}': model.vocab[\"{entry.Name}\"] must be a non-negative integer id.");
            }

            result[entry.Name] = id;
        }

        return result;
    }

    private static List<string> ReadMerges(JsonElement merges, string fileName)
    {
        var result = new List<string>(merges.ValueKind == JsonValueKind.Array ? merges.GetArrayLength() : 0);
        int index = 0;
        foreach (var merge in merges.EnumerateArray())
        {
            // Older files write "a b"; newer ones write ["a", "b"] so that tokens may contain spaces.
            if (merge.ValueKind == JsonValueKind.String)
            {
                result.Add(merge.GetString()!);
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                && merge[0].GetString() is { } left && merge[1].GetString() is { } right)
            {
                if (left.Contains(' ') || right.Contains(' '))
                {
                    throw new NotSupportedException($"'{fileName}': model.merges[{index}] has a token containing a space, which ML.Tokenizers' BPE cannot represent.");
                }

                result.Add(left + " " + right);
            }
            else
            {
                throw new InvalidDataException($"'{fileName}': model.merges[{index}] must be \"a b\" or [\"a\", \"b\"].");
            }

            index++;
        }

        return result;
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement tokens, string fileName)
    {
        var result = new List<AddedToken>();
        if (tokens.ValueKind != JsonValueKind.Array)
        {
            return result;
        }

        int index = 0;
        foreach (var token in tokens.EnumerateArray())
        {
            string path = $"added_tokens[{index++}]";
            var id = JsonFields.Required(token, "id", fileName, path);
            result.Add(new AddedToken(
                JsonFields.RequiredString(token, "content", fileName, path),
                id.TryGetInt32(out int value) ? value : throw new InvalidDataException($"'{fileName}': {path}.id must be an integer."),
                JsonFields.OptionalBool(token, "special", false),
                JsonFields.OptionalBool(token, "lstrip", false),
                JsonFields.OptionalBool(token, "rstrip", false)));
        }

        return result;
    }

    private static (string? Prefix, string? Suffix) ReadPostProcessor(JsonElement processor)
    {
        var template = FindByType(processor, "TemplateProcessing");
        if (template.ValueKind == JsonValueKind.Undefined || JsonFields.Optional(template, "single") is not { ValueKind: JsonValueKind.Array } single)
        {
            return (null, null);
        }

        string? prefix = null, suffix = null;
        bool seenSequence = false;
        foreach (var item in single.EnumerateArray())
        {
            if (JsonFields.Optional(item, "Sequence").ValueKind != JsonValueKind.Undefined)
            {
                seenSequence = true;
            }
            else if (JsonFields.Optional(item, "SpecialToken") is { ValueKind: JsonValueKind.Object } special)
            {
                string? id = JsonFields.OptionalString(special, "id");
                if (seenSequence)
                {
                    suffix ??= id;
                }
                else
                {
                    prefix ??= id;
                }
            }
        }

        return (prefix, suffix);
    }

    /// <summary>Finds a component of the given type, itself or inside a Sequence.</summary>
    private static JsonElement FindByType(JsonElement element, string type)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return default;
        }

        if (JsonFields.OptionalString(element, "type") == type)
        {
            return element;
        }

        foreach (string list in new[] { "pretokenizers", "processors", "decoders", "normalizers" })
        {
            if (JsonFields.Optional(element, list) is { ValueKind: JsonValueKind.Array } children)
            {
                foreach (var child in children.EnumerateArray())
                {
                    var found = FindByType(child, type);
                    if (found.ValueKind != JsonValueKind.Undefined)
                    {
                        return found;
                    }
                }
            }
        }

        return default;
    }
}
