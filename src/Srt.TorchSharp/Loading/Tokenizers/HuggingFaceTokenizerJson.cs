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
        string fileName = path; // errors name the whole path
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { MaxDepth = 256 });
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

            var steps = PreTokenizerSteps(preTokenizer, path);
            var byteLevel = steps.FirstOrDefault(e => JsonFields.OptionalString(e, "type") == "ByteLevel");
            TokenizerModelCodec codec;
            if (byteLevel.ValueKind != JsonValueKind.Undefined)
            {
                var splits = steps.TakeWhile(e => JsonFields.OptionalString(e, "type") == "Split").Select(e => ReadSplit(e, path)).ToList();
                if (splits.Count != steps.Count - 1 || JsonFields.OptionalString(steps[^1], "type") != "ByteLevel")
                {
                    throw new NotSupportedException($"'{path}': pre_tokenizer must be ByteLevel, optionally after Split steps, or Metaspace.");
                }

                var inner = CreateBpe(new BpeOptions(vocabulary) { Merges = merges, ByteLevel = true }, path);
                codec = new ByteLevelBpeCodec(
                    inner, new BpeMerger(vocabulary, merges), vocabulary, splits, useGpt2Regex: JsonFields.OptionalBool(byteLevel, "use_regex", true), normalizer,
                    JsonFields.OptionalBool(byteLevel, "add_prefix_space", false), ignoreMerges);
            }
            else
            {
                if (steps.Count > 1 || (steps.Count == 1 && JsonFields.OptionalString(steps[0], "type") != "Metaspace"))
                {
                    throw new NotSupportedException($"'{path}': pre_tokenizer must be ByteLevel, optionally after Split steps, or Metaspace.");
                }

                codec = CreateMetaspaceCodec(path, model, vocabulary, merges, normalizer, steps.Count == 1 ? steps[0] : default, root);
            }

            return new HuggingFaceTokenizerJson(codec, added, prefix, suffix);
        }
    }

    private static MetaspaceBpeCodec CreateMetaspaceCodec(
        string path, JsonElement model, Dictionary<string, int> vocabulary, List<string> merges,
        TextNormalizer normalizer, JsonElement metaspace, JsonElement root)
    {
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
            CreateBpe(options, path), new BpeMerger(vocabulary, merges, options.UnknownToken, options.FuseUnknownTokens), vocabulary, normalizer, prepend,
            replaceSpaces: metaspace.ValueKind != JsonValueKind.Undefined,
            splitOnMetaspace: metaspace.ValueKind != JsonValueKind.Undefined && JsonFields.OptionalBool(metaspace, "split", true),
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

    private static BpeTokenizer CreateBpe(BpeOptions options, string path)
    {
        try
        {
            return BpeTokenizer.Create(options);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new InvalidDataException($"'{path}': Microsoft.ML.Tokenizers rejected the BPE vocabulary or merges: {e.Message}", e);
        }
    }

    /// <summary>The pre-tokenizer as a flat list of steps (a Sequence unrolled); unknown step types are refused.</summary>
    private static List<JsonElement> PreTokenizerSteps(JsonElement preTokenizer, string path)
    {
        var steps = new List<JsonElement>();
        if (preTokenizer.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return steps;
        }

        string? type = JsonFields.OptionalString(preTokenizer, "type");
        if (type == "Sequence")
        {
            foreach (var child in JsonFields.Required(preTokenizer, "pretokenizers", path, "pre_tokenizer").EnumerateArray())
            {
                steps.AddRange(PreTokenizerSteps(child, path));
            }
        }
        else if (type is "Split" or "ByteLevel" or "Metaspace")
        {
            steps.Add(preTokenizer);
        }
        else
        {
            throw new NotSupportedException($"'{path}': pre_tokenizer type '{type}' is not supported (supported: ByteLevel, Split, Metaspace, Sequence of them).");
        }

        return steps;
    }

    private static RegexSplit ReadSplit(JsonElement split, string path)
    {
        var pattern = JsonFields.Required(split, "pattern", path, "pre_tokenizer.Split");
        string regex = JsonFields.OptionalString(pattern, "Regex")
            ?? (JsonFields.OptionalString(pattern, "String") is { } literal ? Regex.Escape(literal)
                : throw new InvalidDataException($"'{path}': pre_tokenizer.Split.pattern needs \"Regex\" or \"String\"."));
        bool invert = JsonFields.OptionalBool(split, "invert", false);
        string behavior = JsonFields.OptionalString(split, "behavior") ?? "Isolated";
        Regex compiled;
        try
        {
            compiled = new Regex(regex, RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw new NotSupportedException($"'{path}': pre_tokenizer.Split regex cannot be used by .NET: {e.Message}", e);
        }

        return behavior switch
        {
            "Isolated" => new RegexSplit(compiled, KeepMatches: true, KeepGaps: true),
            "Removed" => new RegexSplit(compiled, KeepMatches: invert, KeepGaps: !invert),
            _ => throw new NotSupportedException($"'{path}': pre_tokenizer.Split behavior '{behavior}' is not supported (supported: Isolated, Removed)."),
        };
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
