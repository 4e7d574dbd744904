using System.Text.Json;
using Srt.Datasets;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Datasets;

public sealed class TrlDatasetTests
{
    private static readonly SftRecord[] Sft =
    [
        new("a", null, "Is 91 prime?", "No.\n\n### Feedback\nWeaknesses: …\n\n### Improved Response\nNo: 91 = 7 × 13."),
        new("b", "Be brief.", "2+2?", "4"),
    ];

    private static readonly PreferenceRecord[] Pairs =
    [
        new("p1", null, "Is 91 prime?", "No: 91 = 7 × 13.", "Yes."),
        new("p2", "Be kind.", "Say hi.", "Hello there!", "hi"),
    ];

    [Fact]
    public void WriteSft_ConversationalPromptCompletion_HasTrlFields()
    {
        using var folder = new TemporaryRunFolder();
        TrlDatasetWriter.WriteSft(folder.File("sft.jsonl"), Sft);

        using var line = JsonDocument.Parse(folder.Lines("sft.jsonl")[1]);
        var root = line.RootElement;
        Assert.Equal("system", root.GetProperty("prompt")[0].GetProperty("role").GetString());
        Assert.Equal("2+2?", root.GetProperty("prompt")[1].GetProperty("content").GetString());
        Assert.Equal("assistant", root.GetProperty("completion")[0].GetProperty("role").GetString());
        Assert.Equal("4", root.GetProperty("completion")[0].GetProperty("content").GetString());
    }

    [Fact]
    public void WriteSft_PlainPromptCompletion_WritesStrings()
    {
        using var folder = new TemporaryRunFolder();
        TrlDatasetWriter.WriteSft(folder.File("sft.jsonl"), Sft, TrlSftFormat.PromptCompletion);
        Assert.Equal("""{"id":"b","prompt":"2+2?","completion":"4"}""", folder.Lines("sft.jsonl")[1]);
    }

    [Theory]
    [InlineData(TrlSftFormat.ConversationalPromptCompletion)]
    [InlineData(TrlSftFormat.Messages)]
    public void WriteSft_ThenReadSft_RoundTrips(TrlSftFormat format)
    {
        using var folder = new TemporaryRunFolder();
        Assert.Equal(2, TrlDatasetWriter.WriteSft(folder.File("sft.jsonl"), Sft, format));
        Assert.Equal(Sft, TrlDatasetReader.ReadSft(folder.File("sft.jsonl")));
    }

    [Fact]
    public void WriteSft_Messages_EndsWithAssistantTurn()
    {
        using var folder = new TemporaryRunFolder();
        TrlDatasetWriter.WriteSft(folder.File("sft.jsonl"), Sft, TrlSftFormat.Messages);
        Assert.Equal("""{"id":"b","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}]}""", folder.Lines("sft.jsonl")[1]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WritePreferences_ThenRead_RoundTrips(bool conversational)
    {
        using var folder = new TemporaryRunFolder();
        TrlDatasetWriter.WritePreferences(folder.File("dpo.jsonl"), Pairs, conversational);

        var read = TrlDatasetReader.ReadPreferences(folder.File("dpo.jsonl"));

        // Plain strings cannot carry the system prompt.
        Assert.Equal(conversational ? Pairs : Pairs.Select(p => p with { SystemPrompt = null }), read);
    }

    [Fact]
    public void WritePreferences_Plain_HasPromptChosenRejected() 
    {
        using var folder = new TemporaryRunFolder();
        TrlDatasetWriter.WritePreferences(folder.File("dpo.jsonl"), Pairs.Take(1), conversational: false);
        Assert.Equal("""{"id":"p1","prompt":"Is 91 prime?","chosen":"No: 91 = 7 × 13.","rejected":"Yes."}""", folder.Lines("dpo.jsonl")[0]);
    }

    [Fact]
    public void ReadPreferences_MissingRejected_NamesLine()
    {
        using var folder = new TemporaryRunFolder();
        File.WriteAllText(folder.File("dpo.jsonl"), "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n{\"prompt\":\"x\",\"chosen\":\"y\"}\n");

        var error = Assert.Throws<DatasetFormatException>(() => TrlDatasetReader.ReadPreferences(folder.File("dpo.jsonl")));

        Assert.Equal(2, error.LineNumber);
        Assert.Contains("'rejected' is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SftRecord_ToSupervisedExample_PromptIsMaskedCompletionIsTrained()
    {
        var example = Sft[1].ToSupervisedExample();
        Assert.Equal(["Be brief.", "2+2?"], example.Prompt.Select(m => m.Text));
        Assert.Equal([new SequenceSegment("4", true, SegmentKind.Other)], example.Completion);
    }
}
