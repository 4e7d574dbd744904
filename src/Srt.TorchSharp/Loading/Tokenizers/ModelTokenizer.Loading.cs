using Microsoft.ML.Tokenizers;

namespace Srt.TorchSharp.Loading.Tokenizers;

public sealed partial class ModelTokenizer
{
    /// <summary>The Hugging Face tokenizer file name.</summary>
    public const string TokenizerJsonFileName = "tokenizer.json";

    /// <summary>The SentencePiece model file name.</summary>
    public const string SentencePieceModelFileName = "tokenizer.model";

    /// <summary>
    /// Loads the tokenizer of a Hugging Face model folder: <c>tokenizer.json</c> when present (it follows Hugging
    /// Face's conventions, which the model was trained with), else the SentencePiece <c>tokenizer.model</c>; plus
    /// <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c> and <c>generation_config.json</c> when present.
    /// </summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="fileKind">Which tokenizer file to use; the default (null) prefers <c>tokenizer.json</c>.</param>
    /// <returns>The loaded tokenizer.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has neither tokenizer file.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt; the message names it.</exception>
    /// <exception cref="NotSupportedException">The tokenizer uses a component Srt does not convert; the message names it.</exception>
    public static ModelTokenizer FromPretrained(string folder, TokenizerFileKind? fileKind = null) =>
        FromPretrained(folder, new ModelTokenizerOptions { FileKind = fileKind });

    /// <summary>
    /// Loads the tokenizer of a Hugging Face model folder as <see cref="FromPretrained(string, TokenizerFileKind?)"/>
    /// does, with <paramref name="options"/> choosing the file and how special-token text in content is encoded.
    /// </summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="options">The load options.</param>
    /// <returns>The loaded tokenizer.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has neither tokenizer file, or not the one asked for.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt; the message names it.</exception>
    /// <exception cref="NotSupportedException">The tokenizer uses a component Srt does not convert; the message names it.</exception>
    public static ModelTokenizer FromPretrained(string folder, ModelTokenizerOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(options);
        var fileKind = options.FileKind;
        bool matchSpecial = options.MatchSpecialTokensInText;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Model folder '{folder}' does not exist.");
        }

        var settings = TokenizerSettings.Read(folder);
        string jsonPath = Path.Combine(folder, TokenizerJsonFileName);
        string modelPath = Path.Combine(folder, SentencePieceModelFileName);
        if (fileKind is not null && !File.Exists(fileKind == TokenizerFileKind.HuggingFaceJson ? jsonPath : modelPath))
        {
            string wanted = fileKind == TokenizerFileKind.HuggingFaceJson ? jsonPath : modelPath;
            throw new FileNotFoundException($"Model folder '{folder}' has no '{Path.GetFileName(wanted)}', which was asked for.", wanted);
        }

        if (File.Exists(jsonPath) && fileKind != TokenizerFileKind.SentencePieceModel)
        {
            var json = HuggingFaceTokenizerJson.Load(jsonPath);
            string? bos = settings.BosToken ?? json.PrefixToken;
            return new ModelTokenizer(
                json.Codec, WithExtraSpecialTokens(json.AddedTokens.Concat(settings.AddedTokens), settings.ExtraSpecialTokens, json.Codec), bos, settings.EosToken ?? json.SuffixToken,
                settings.PadToken, addBos: settings.AddBosToken ?? json.PrefixToken is not null,
                addEos: settings.AddEosToken ?? json.SuffixToken is not null, settings.GenerationEosIds,
                settings.GenerationPadId, settings.ChatTemplate, TokenizerFileKind.HuggingFaceJson, matchSpecial);
        }

        if (File.Exists(modelPath))
        {
            var (codec, added) = LoadSentencePiece(modelPath);
            return new ModelTokenizer(
                codec, WithExtraSpecialTokens(added.Concat(settings.AddedTokens), settings.ExtraSpecialTokens, codec), settings.BosToken ?? "<s>", settings.EosToken ?? "</s>",
                settings.PadToken, addBos: settings.AddBosToken ?? true, addEos: settings.AddEosToken ?? false,
                settings.GenerationEosIds, settings.GenerationPadId, settings.ChatTemplate,
                TokenizerFileKind.SentencePieceModel, matchSpecial);
        }

        throw new FileNotFoundException(
            $"Model folder '{folder}' has no tokenizer: expected '{TokenizerJsonFileName}' (Hugging Face) or '{SentencePieceModelFileName}' (SentencePiece).",
            jsonPath);
    }

    /// <summary>
    /// Marks the config's extra special tokens special, as Hugging Face does: an added token of that text becomes
    /// special, and a vocabulary token of that text becomes an added special token (matched whole, skipped when
    /// decoding without special tokens). A text the tokenizer does not know is left out.
    /// </summary>
    private static List<AddedToken> WithExtraSpecialTokens(IEnumerable<AddedToken> added, IReadOnlyList<string> extraSpecial, TokenizerModelCodec codec)
    {
        var tokens = added.ToList();
        foreach (string content in extraSpecial)
        {
            int index = tokens.FindIndex(token => token.Content == content);
            if (index >= 0)
            {
                tokens[index] = tokens[index] with { IsSpecial = true };
            }
            else if (codec.TokenToId(content) is int id)
            {
                tokens.Add(new AddedToken(content, id, IsSpecial: true));
            }
        }

        return tokens;
    }

    private static (SentencePieceModelCodec Codec, List<AddedToken> Added) LoadSentencePiece(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        var entries = SentencePieceModelReader.ReadPieces(data, path);
        LlamaTokenizer inner;
        try
        {
            inner = LlamaTokenizer.Create(new MemoryStream(data, writable: false), addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{path}' could not be read as a SentencePiece model: {e.Message}", e);
        }

        // SentencePiece itself never matches CONTROL pieces in text; Srt matches them as special tokens in chat
        // template markup (and everywhere with MatchSpecialTokensInText, as Hugging Face's converted tokenizers
        // do), so templates can write [INST] or <s>. USER_DEFINED pieces are matched everywhere by SentencePiece's
        // own segmentation (SentencePieceBpe), after the dummy prefix, as the sentencepiece library does.
        var added = new List<AddedToken>();
        for (int id = 0; id < entries.Count; id++)
        {
            var entry = entries[id];
            if (entry.Type is SentencePieceType.Control or SentencePieceType.Unknown)
            {
                added.Add(new AddedToken(entry.Piece, id, IsSpecial: true));
            }
        }

        return (new SentencePieceModelCodec(inner, entries), added);
    }
}
