using Microsoft.Extensions.AI;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;

namespace Srt.TorchSharp.Tests.Generation;

[Collection(TorchSharpCollection.Name)]
public sealed class CausalLanguageModelTests
{
    [Fact]
    public async Task FromPretrained_HuggingFaceFolder_LoadsAllThreeAndGeneratesAsTheOriginal()
    {
        using var folder = new TemporaryFolder();
        using var original = TinyChatModel.Create();
        original.Model.SavePretrained(folder.Path);
        TinyChatModel.WriteTokenizerFiles(folder.Path);

        using var loaded = CausalLanguageModel.FromPretrained(folder.Path);
        Assert.Equal("chatml", loaded.ChatTemplate.Name); // detected from tokenizer_config.json's chat_template
        Assert.Equal(Path.GetFileName(folder.Path), loaded.ModelId);
        Assert.Contains(TinyChatModel.ImEnd, loaded.StopTokenIds);
        Assert.Contains(TinyChatModel.EndOfText, loaded.StopTokenIds); // ChatML's <|endoftext|> stop token
        Assert.Empty(loaded.StopSequences); // every end-of-turn marker is a token here

        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 10 };
        IReadOnlyList<ChatMessage> ask = [new ChatMessage(ChatRole.User, "Hi")];
        var expected = await new TorchSharpPolicyModel(original).GenerateAsync([ask], options);
        var actual = await new TorchSharpPolicyModel(loaded).GenerateAsync([ask], options);
        Assert.Equal(expected[0].Text, actual[0].Text);
    }

    [Fact]
    public void FromPretrained_TokenizerOptions_ReachTheBundlesTokenizer()
    {
        using var folder = new TemporaryFolder();
        using var original = TinyChatModel.Create();
        original.Model.SavePretrained(folder.Path);
        TinyChatModel.WriteTokenizerFiles(folder.Path);
        const string text = "a<|im_end|>b";

        using var plain = CausalLanguageModel.FromPretrained(folder.Path);
        using var matching = CausalLanguageModel.FromPretrained(
            folder.Path, tokenizerOptions: new Srt.TorchSharp.Loading.Tokenizers.ModelTokenizerOptions { MatchSpecialTokensInText = true });

        Assert.DoesNotContain(TinyChatModel.ImEnd, plain.Tokenizer.Encode(text));
        Assert.Contains(TinyChatModel.ImEnd, matching.Tokenizer.Encode(text));
    }

    [Fact]
    public void AsPolicyModelAndCreateTrainer_ShareTheBundleAndPassTheOptions()
    {
        using var bundle = TinyChatModel.Create();
        var supervised = new Srt.TorchSharp.Training.SupervisedTrainerOptions { LearningRate = 3e-4 };

        var policy = bundle.AsPolicyModel(new TorchSharpPolicyModelOptions { BatchSize = 3 });
        var trainer = bundle.CreateTrainer(supervised);

        Assert.Same(bundle, policy.Model);
        Assert.Same(bundle.Model, trainer.Model);
        Assert.Same(supervised, trainer.SupervisedOptions);
        Assert.Equal(5e-7, trainer.PreferenceOptions.LearningRate); // the paper's stage 2 when not given
        Assert.Equal(bundle.ModelId, trainer.BaseModelNameOrPath);
    }

    [Fact]
    public void Constructor_TokenizerLargerThanModelVocabulary_Throws()
    {
        using var model = TinyLlama.Create(TinyLlama.Config()); // vocab 97 < 259 tokens
        var error = Assert.Throws<ArgumentException>(() =>
            new CausalLanguageModel(model, TinyChatModel.LoadTokenizer(), Srt.TorchSharp.ChatTemplates.ChatTemplate.Get("chatml"), ownsModel: false));
        Assert.Contains("259", error.Message);
        Assert.Contains("97", error.Message);
    }

    [Fact]
    public async Task RunExclusiveAsync_OverlappingWork_NeverRunsTwoAtOnce()
    {
        using var bundle = TinyChatModel.Create();
        var running = 0;
        var most = 0;
        int Work()
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            Thread.Sleep(20);
            Interlocked.Decrement(ref running);
            return now;
        }
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => bundle.RunExclusiveAsync(Work)));
        Assert.Equal(1, most);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
