using Srt.TorchSharp.Generation;

namespace Srt.TorchSharp.Tests.Generation;

/// <summary>Stop handling on hand-fed byte ids (id = byte in the tiny tokenizer), no model involved.</summary>
public sealed class SequenceTrackerTests
{
    private static (List<GenerationUpdate> Updates, SequenceTracker Tracker) Feed(string text, string[] stops, int maxNewTokens = 100, int[]? ids = null)
    {
        var tracker = new SequenceTracker(0, 1, TinyChatModel.LoadTokenizer(), new HashSet<int> { TinyChatModel.ImEnd }, stops, maxNewTokens);
        var updates = new List<GenerationUpdate>();
        foreach (var id in ids ?? TinyChatModel.Bytes(text))
        {
            if (tracker.Accept(id) is { } update)
            {
                updates.Add(update);
            }
            if (tracker.IsFinished)
            {
                break;
            }
        }
        return (updates, tracker);
    }

    [Fact]
    public void Accept_StopSequenceSpreadOverTokens_CutsBeforeItAndNeverStreamsPartOfIt()
    {
        var (updates, tracker) = Feed("Hello, World! More", ["World"]);
        var result = tracker.ToResult();
        Assert.Equal("Hello, ", result.Text);
        Assert.Equal(CompletionFinishReason.Stop, result.FinishReason);
        Assert.Equal(12, result.CompletionTokens); // "Hello, World" consumed, the rest never generated
        Assert.Equal("Hello, ", string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates, u => Assert.DoesNotContain("W", u.Text));
        Assert.Equal(CompletionFinishReason.Stop, updates[^1].FinishReason);
    }

    [Fact]
    public void Accept_PrefixOfStopThatDoesNotComplete_IsReleasedLater()
    {
        var (updates, _) = Feed("ab", ["bc"], maxNewTokens: 100);
        Assert.Equal(["a"], updates.Select(u => u.Text)); // "b" is held back: it might start "bc"
        var (more, tracker) = Feed("abd", ["bc"], maxNewTokens: 3);
        Assert.Equal("abd", string.Concat(more.Select(u => u.Text)));
        Assert.Equal(CompletionFinishReason.Length, tracker.FinishReason);
    }

    [Fact]
    public void Accept_EarliestOfSeveralStops_Wins()
    {
        var (_, tracker) = Feed("xx--yy==zz", ["==", "--"]);
        Assert.Equal("xx", tracker.ToResult().Text);
    }

    [Fact]
    public void Accept_EndOfSequenceId_FinishesWithoutAddingText()
    {
        var ids = TinyChatModel.Bytes("ok").Append(TinyChatModel.ImEnd).Append('z').ToArray();
        var (updates, tracker) = Feed("", [], ids: ids);
        Assert.Equal("ok", tracker.ToResult().Text);
        Assert.Equal(3, tracker.ToResult().CompletionTokens);
        Assert.Equal(CompletionFinishReason.Stop, updates[^1].FinishReason);
    }

    [Fact]
    public void Accept_MultiByteCharacter_StreamsOnlyWhenComplete()
    {
        var (updates, tracker) = Feed("aé€b", [], maxNewTokens: 7); // 1 + 2 + 3 + 1 bytes
        Assert.Equal("aé€b", tracker.ToResult().Text);
        Assert.Equal(["a", "é", "€", "b"], updates.Select(u => u.Text));
    }

    [Fact]
    public void Accept_LimitCutsCharacterInHalf_FinishesWithReplacementCharacter()
    {
        var (_, tracker) = Feed("a€", [], maxNewTokens: 2);
        Assert.Equal("a\uFFFD", tracker.ToResult().Text);
        Assert.Equal(CompletionFinishReason.Length, tracker.FinishReason);
    }
}
