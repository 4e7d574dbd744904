using Srt.Datasets;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Datasets;

public sealed class RunDirectoryExportTests
{
    [Fact]
    public void ExportStageOne_Examples_CompletionIsConcatenatedSegments()
    {
        using var folder = new TemporaryRunFolder();
        var segments = SelfRefinementFormat.Default.BuildCompletion("No.", new Feedback("Weaknesses:\n- terse\nSuggestions:\n- explain\nOverall Score: [[3]]", ["terse"], ["explain"], 3), "No: 91 = 7 × 13.", 8);
        using (var store = new JsonlStore<ExampleRecord>(folder.File("stage1", "examples.jsonl")))
        {
            store.Append(new ExampleRecord("q1", null, "Is 91 prime?", segments));
        }

        int count = RunDirectoryExport.ExportStageOne(folder.Path, folder.File("export", "sft.jsonl"));
        var read = TrlDatasetReader.ReadSft(folder.File("export", "sft.jsonl"));

        Assert.Equal(1, count);
        Assert.Equal("Is 91 prime?", read[0].Instruction);
        Assert.Equal(SelfRefinementFormat.Default.Format("No.", new Feedback("Weaknesses:\n- terse\nSuggestions:\n- explain\nOverall Score: [[3]]", ["terse"], ["explain"], 3), "No: 91 = 7 × 13.", 8), read[0].Completion);
        Assert.True(SelfRefinementFormat.Default.TryParse(read[0].Completion, out var parsed));
        Assert.Equal("No: 91 = 7 × 13.", parsed.Refinement);
    }

    [Fact]
    public void ExportStageTwo_Pairs_WritesChosenAndRejected()
    {
        using var folder = new TemporaryRunFolder();
        using (var store = new JsonlStore<PairRecord>(folder.File("stage2", "pairs.jsonl")))
        {
            store.Append(new PairRecord("s1", "Sys", "Say hi.", "Hello there!", "hi", 4, 7));
        }

        Assert.Equal(1, RunDirectoryExport.ExportStageTwo(folder.Path, folder.File("dpo.jsonl")));
        Assert.Equal([new PreferenceRecord("s1", "Sys", "Say hi.", "Hello there!", "hi")], TrlDatasetReader.ReadPreferences(folder.File("dpo.jsonl")));
    }

    [Fact]
    public void ExportStageOne_NoExamplesYet_ThrowsNamingFile()
    {
        using var folder = new TemporaryRunFolder();
        var error = Assert.Throws<FileNotFoundException>(() => RunDirectoryExport.ExportStageOne(folder.Path, folder.File("sft.jsonl")));
        Assert.Contains("examples.jsonl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExportStageOne_MaskedSegment_Refuses()
    {
        using var folder = new TemporaryRunFolder();
        using (var store = new JsonlStore<ExampleRecord>(folder.File("stage1", "examples.jsonl")))
        {
            store.Append(new ExampleRecord("q1", null, "I", [new SequenceSegment("a", false), new SequenceSegment("b")]));
        }

        Assert.Throws<InvalidOperationException>(() => RunDirectoryExport.ExportStageOne(folder.Path, folder.File("sft.jsonl")));
    }
}
