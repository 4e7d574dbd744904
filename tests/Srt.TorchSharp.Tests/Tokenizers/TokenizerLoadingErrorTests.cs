using Srt.TorchSharp.Loading.Tokenizers;

namespace Srt.TorchSharp.Tests.Tokenizers;

public sealed class TokenizerLoadingErrorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("srt-tok-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void FromPretrained_MissingFolder_NamesFolder()
    {
        string missing = Path.Combine(_folder, "nope");
        var error = Assert.Throws<DirectoryNotFoundException>(() => ModelTokenizer.FromPretrained(missing));
        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public void FromPretrained_FolderWithoutTokenizer_NamesBothFiles()
    {
        var error = Assert.Throws<FileNotFoundException>(() => ModelTokenizer.FromPretrained(_folder));
        Assert.Contains("tokenizer.json", error.Message);
        Assert.Contains("tokenizer.model", error.Message);
    }

    [Fact]
    public void FromPretrained_TruncatedTokenizerJson_NamesFile()
    {
        byte[] json = File.ReadAllBytes(Path.Combine(TokenizerFixtures.Folder(TokenizerFixtures.Phi2), "tokenizer.json"));
        File.WriteAllBytes(Path.Combine(_folder, "tokenizer.json"), json[..(json.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => ModelTokenizer.FromPretrained(_folder));
        Assert.Contains("tokenizer.json", error.Message);
    }

    [Fact]
    public void FromPretrained_TokenizerJsonWithoutVocab_NamesField()
    {
        File.WriteAllText(Path.Combine(_folder, "tokenizer.json"), """{"model": {"type": "BPE", "merges": []}}""");
        var error = Assert.Throws<InvalidDataException>(() => ModelTokenizer.FromPretrained(_folder));
        Assert.Contains("model.vocab", error.Message);
        Assert.Contains("tokenizer.json", error.Message);
    }

    [Fact]
    public void FromPretrained_MergeOfUnknownTokens_NamesFile()
    {
        File.WriteAllText(Path.Combine(_folder, "tokenizer.json"), """
            {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["x y"]},
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}}
            """);
        var error = Assert.Throws<InvalidDataException>(() => ModelTokenizer.FromPretrained(_folder));
        Assert.Contains("tokenizer.json", error.Message);
    }

    [Fact]
    public void FromPretrained_UnigramTokenizerJson_SaysNotSupported()
    {
        File.WriteAllText(Path.Combine(_folder, "tokenizer.json"), """{"model": {"type": "Unigram", "vocab": []}}""");
        var error = Assert.Throws<NotSupportedException>(() => ModelTokenizer.FromPretrained(_folder));
        Assert.Contains("Unigram", error.Message);
        Assert.Contains("tokenizer.json", error.Message);
    }

    [Fact]
    public void FromPretrained_TruncatedSentencePieceModel_NamesFile()
    {
        byte[] model = File.ReadAllBytes(Path.Combine(TokenizerFixtures.Folder(TokenizerFixtures.MistralV3), "tokenizer.model"));
        File.WriteAllBytes(Path.Combine(_folder, "tokenizer.model"), model[..1000]);
        var error = Assert.Throws<InvalidDataException>(() => ModelTokenizer.FromPretrained(_folder));
        Assert.Contains("tokenizer.model", error.Message);
    }

    [Fact]
    public void FromPretrained_GarbageSentencePieceModel_NamesFile()
    {
        File.WriteAllBytes(Path.Combine(_folder, "tokenizer.model"), System.Text.Encoding.UTF8.GetBytes("this is not a protobuf file at all"));
        var error = Assert.Throws<InvalidDataException>(() => ModelTokenizer.FromPretrained(_folder));
        Assert.Contains("tokenizer.model", error.Message);
    }

    [Fact]
    public void FromPretrained_BrokenTokenizerConfig_NamesFile()
    {
        CopyFixture(TokenizerFixtures.MistralV3, "tokenizer.model");
        File.WriteAllText(Path.Combine(_folder, "tokenizer_config.json"), "{ \"bos_token\": ");
        var error = Assert.Throws<InvalidDataException>(() => ModelTokenizer.FromPretrained(_folder));
        Assert.Contains("tokenizer_config.json", error.Message);
    }

    [Fact]
    public void FromPretrained_AskedForMissingFile_NamesIt()
    {
        CopyFixture(TokenizerFixtures.MistralV3, "tokenizer.model");
        var error = Assert.Throws<FileNotFoundException>(() => ModelTokenizer.FromPretrained(_folder, TokenizerFileKind.HuggingFaceJson));
        Assert.Contains("tokenizer.json", error.Message);
    }

    [Fact]
    public void FromPretrained_GenerationConfig_AddsEndOfSequenceIds()
    {
        // Llama 3 style: several ids end generation (here <|endoftext|> and <|im_end|> of the cl100k vocabulary).
        CopyFixture(TokenizerFixtures.Olmo2, "tokenizer.json");
        File.WriteAllText(Path.Combine(_folder, "tokenizer_config.json"), """{"eos_token": "<|endoftext|>", "pad_token": {"content": "<|pad|>"}}""");
        File.WriteAllText(Path.Combine(_folder, "generation_config.json"), """{"eos_token_id": [100257, 100265]}""");
        var tokenizer = ModelTokenizer.FromPretrained(_folder);
        Assert.Equal(new HashSet<int> { 100257, 100265 }, tokenizer.EosTokenIds);
        Assert.Equal(100257, tokenizer.EosTokenId);
        Assert.Equal(100277, tokenizer.PadTokenId);
        Assert.Null(tokenizer.BosTokenId);
        Assert.Equal([9906], tokenizer.Encode("Hello", addSpecialTokens: true));
    }

    private void CopyFixture(string fixture, string file) =>
        File.Copy(Path.Combine(TokenizerFixtures.Folder(fixture), file), Path.Combine(_folder, file));
}
