using Microsoft.Extensions.AI;
using Srt.TorchSharp.Training;

namespace Srt.TorchSharp.Tests.Training;

public sealed class TrainingSequenceEncoderTests
{
    private static readonly TrainingSequenceEncoder Encoder = new(TrainingFixtures.Tokenizer(), TrainingFixtures.ChatML, 128);

    [Fact]
    public void Encode_PromptAndSegments_MasksPromptAndUntrainedSegmentOnly()
    {
        var example = new SupervisedExample("e1", [new ChatMessage(ChatRole.User, "hi")],
        [
            new SequenceSegment("ab", IsTrained: true),
            new SequenceSegment(" cd", IsTrained: false),
            new SequenceSegment(" ef", IsTrained: true),
        ]);

        var sequence = Encoder.Encode(example, out bool truncated)!;

        Assert.False(truncated);
        // "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n": 1 + 4 + 1 + 2 + 1 + 1 + 1 + 9 + 1 = 21 prompt tokens.
        int prompt = sequence.Ids.Length - (2 + 3 + 3 + 1);
        Assert.Equal(21, prompt);
        Assert.Equal(TrainingFixtures.ImStart, sequence.Ids[0]);
        Assert.All(sequence.LossMask[..prompt], Assert.False);
        Assert.Equal(new[] { true, true, false, false, false, true, true, true, true }, sequence.LossMask[prompt..]);
        Assert.Equal(TrainingFixtures.Id('a'), sequence.Ids[prompt]);
        Assert.Equal(TrainingFixtures.ImEnd, sequence.Ids[^1]); // end of turn is trained: the model learns to stop
    }

    [Fact]
    public void Encode_LongerThanLimit_CutsFromTheRightAndKeepsTrainedStart()
    {
        var encoder = new TrainingSequenceEncoder(TrainingFixtures.Tokenizer(), TrainingFixtures.ChatML, 25);
        var example = new SupervisedExample("e2", [new ChatMessage(ChatRole.User, "hi")], [new SequenceSegment("abcdefgh")]);

        var sequence = encoder.Encode(example, out bool truncated)!;

        Assert.True(truncated);
        Assert.Equal(25, sequence.Length);
        Assert.Equal(4, sequence.TrainedTokens);
        Assert.NotEqual(TrainingFixtures.ImEnd, sequence.Ids[^1]);
    }

    [Fact]
    public void Encode_PromptFillsTheLimit_DropsTheExample()
    {
        var encoder = new TrainingSequenceEncoder(TrainingFixtures.Tokenizer(), TrainingFixtures.ChatML, 21);
        var example = new SupervisedExample("e3", [new ChatMessage(ChatRole.User, "hi")], [new SequenceSegment("abc")]);

        Assert.Null(encoder.Encode(example, out bool truncated));
        Assert.True(truncated);
    }

    [Fact]
    public void Encode_PreferencePair_SharesPromptAndTrainsBothAnswers()
    {
        var pair = new PreferencePair("p", [new ChatMessage(ChatRole.User, "hi")], "yes", "no");

        var (chosen, rejected) = Encoder.Encode(pair, out _)!.Value;

        Assert.Equal(chosen.Ids[..21], rejected.Ids[..21]);
        Assert.Equal(4, chosen.TrainedTokens);   // "yes" + <|im_end|>
        Assert.Equal(3, rejected.TrainedTokens); // "no" + <|im_end|>
    }

    [Fact]
    public void Encode_PreferencePairWithoutEndOfTurnScore_TrainsTheAnswersOnly()
    {
        var pair = new PreferencePair("p", [new ChatMessage(ChatRole.User, "hi")], "yes", "no");
        var encoder = new TrainingSequenceEncoder(TrainingFixtures.Tokenizer(), TrainingFixtures.ChatML, 256, scorePreferenceEndOfTurn: false);

        var (chosen, rejected) = encoder.Encode(pair, out _)!.Value;
        var (scoredChosen, _) = Encoder.Encode(pair, out _)!.Value;

        Assert.Equal(3, chosen.TrainedTokens);   // "yes" without <|im_end|>
        Assert.Equal(2, rejected.TrainedTokens); // "no" without <|im_end|>
        Assert.Equal(4, scoredChosen.TrainedTokens);
        Assert.Equal(scoredChosen.Ids, chosen.Ids); // the end of turn stays in the sequence, masked
        Assert.False(chosen.LossMask[^1]);
        Assert.True(scoredChosen.LossMask[^1]);
    }
}
