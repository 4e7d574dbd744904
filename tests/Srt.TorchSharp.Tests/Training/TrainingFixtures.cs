using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Training;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Training;

/// <summary>
/// A character-level byte-level BPE tokenizer (printable ASCII, space as "Ġ", newline as "Ċ", no merges) with ChatML
/// special tokens, a tiny Llama sized to it, and small synthetic data sets with an obvious pattern to learn.
/// </summary>
internal static class TrainingFixtures
{
    public const int EndOfText = 96;
    public const int ImStart = 97;
    public const int ImEnd = 98;
    public const int VocabularySize = 99;

    private static readonly Lazy<string> TokenizerFolder = new(WriteTokenizer);

    public static ModelTokenizer Tokenizer() => ModelTokenizer.FromPretrained(TokenizerFolder.Value);

    /// <summary>Writes the tiny model (<see cref="Model"/>) with this tokenizer as a Hugging Face folder.</summary>
    public static void WriteModelFolder(string folder, long seed = 11)
    {
        using var model = Model(seed: seed);
        model.SavePretrained(folder);
        foreach (string file in Directory.GetFiles(TokenizerFolder.Value))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        }
    }

    public static IChatTemplate ChatML => ChatTemplate.Get("chatml");

    /// <summary>The id of a printable ASCII character.</summary>
    public static int Id(char c) => c switch { ' ' => 94, '\n' => 95, _ => c - '!' };

    public static LlamaConfig Config() => new()
    {
        VocabSize = VocabularySize,
        HiddenSize = 32,
        IntermediateSize = 64,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        RmsNormEps = 1e-5,
        MaxPositionEmbeddings = 256,
        EosTokenIds = [ImEnd],
    };

    public static LlamaForCausalLM Model(ScalarType dtype = ScalarType.Float32, long seed = 11) =>
        LlamaForCausalLM.Create(Config(), new ModelLoadOptions { DType = dtype }, seed, initializerRange: 0.05);

    public static SupervisedTrainerOptions Options(Action<SupervisedTrainerOptions>? configure = null) => Small(configure);

    public static PreferenceTrainerOptions PreferenceOptions(Action<PreferenceTrainerOptions>? configure = null) => Small(configure);

    public static TorchSharpTrainer Trainer(LlamaForCausalLM model, SupervisedTrainerOptions? supervised = null, PreferenceTrainerOptions? preference = null) =>
        new(model, Tokenizer(), ChatML, supervised ?? Options(), preference ?? PreferenceOptions());

    // The same small, fast settings for either kind (the stages' defaults are the paper's, for 7B models).
    private static T Small<T>(Action<T>? configure)
        where T : TorchSharpTrainerOptions, new()
    {
        var options = new T
        {
            LearningRate = 3e-3,
            Epochs = 4,
            GlobalBatchSize = 4,
            MicroBatchSize = 2,
            WarmupRatio = 0,
            MaxSequenceLength = 128,
            Threads = 1,
            SaveSteps = 0,
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>"Repeat: xy" → "xy xy xy" (trained), for 8 letter pairs.</summary>
    public static IReadOnlyList<SupervisedExample> RepeatExamples(int count = 8) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            string word = $"{(char)('a' + i % 13)}{(char)('n' + i % 13)}";
            return new SupervisedExample($"ex{i}", [new ChatMessage(ChatRole.User, $"Repeat: {word}")],
                [new SequenceSegment($"{word} {word} {word}", true, SegmentKind.Response)]);
        })];

    /// <summary>Chosen repeats the word; rejected answers "no".</summary>
    public static IReadOnlyList<PreferencePair> RepeatPairs(int count = 8) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            string word = $"{(char)('a' + i % 13)}{(char)('n' + i % 13)}";
            return new PreferencePair($"p{i}", [new ChatMessage(ChatRole.User, $"Repeat: {word}")], $"{word} {word}", "no no");
        })];

    public static float[] Flat(Tensor tensor)
    {
        using var cpu = tensor.detach().to(ScalarType.Float32).cpu().contiguous();
        return cpu.data<float>().ToArray();
    }

    /// <summary>The model's logits on one fixed input: a fingerprint of its weights, to tell which weights it holds.</summary>
    public static float[] ProbeLogits(LlamaForCausalLM model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var ids = tensor(new long[] { 5, 17, 42, 3, 60, 11, 94, 70 }, ScalarType.Int64).unsqueeze(0);
        return Flat(model.Forward(ids));
    }

    public static float MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    private static string WriteTokenizer()
    {
        var vocab = new JsonObject();
        for (char c = '!'; c <= '~'; c++)
        {
            vocab[c.ToString()] = Id(c);
        }
        vocab["Ġ"] = 94;
        vocab["Ċ"] = 95;
        var added = new JsonArray();
        foreach (var (id, content) in new[] { (EndOfText, "<|endoftext|>"), (ImStart, "<|im_start|>"), (ImEnd, "<|im_end|>") })
        {
            added.Add(new JsonObject { ["id"] = id, ["content"] = content, ["special"] = true });
        }
        var json = new JsonObject
        {
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = JsonNode.Parse("""
                { "type": "Sequence", "pretokenizers": [
                  { "type": "Split", "pattern": { "Regex": " ?[^\\s]+|\\s+" }, "behavior": "Isolated", "invert": false },
                  { "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false } ] }
                """),
            ["post_processor"] = null,
            ["decoder"] = JsonNode.Parse("""{ "type": "ByteLevel" }"""),
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray() },
        };
        string folder = Directory.CreateTempSubdirectory("srt-trainer-tokenizer-").FullName;
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{ "eos_token": "<|im_end|>", "add_bos_token": false }""");
        return folder;
    }
}
