using Srt.Datasets;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Datasets;

public sealed class InstructionDatasetTests
{
    private static string Write(TemporaryRunFolder folder, params string[] lines)
    {
        string path = folder.File("data.jsonl");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [Fact]
    public void ReadInstructions_AllThreeShapes_ReadsInstructionsAndIds()
    {
        using var folder = new TemporaryRunFolder();
        string path = Write(
            folder,
            """{"id":"a","instruction":"Name a prime."}""",
            "",
            """{"id":7,"prompt":"Is 91 prime?"}""",
            """{"prompt":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}]}""",
            """{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"Translate 'cat' to French."}]}""");

        var items = InstructionDataset.ReadInstructions(path);

        Assert.Equal(["a", "7", InstructionDataset.ContentId("What is 2+2?"), InstructionDataset.ContentId("Translate 'cat' to French.")], items.Select(i => i.Id));
        Assert.Equal(["Name a prime.", "Is 91 prime?", "What is 2+2?", "Translate 'cat' to French."], items.Select(i => i.Instruction));
        Assert.Matches("^h[0-9a-f]{12}$", items[2].Id);
    }

    [Fact]
    public void ReadEvaluationItems_ReferenceAndAnswer_AreRead()
    {
        using var folder = new TemporaryRunFolder();
        string path = Write(folder, """{"id":"q","instruction":"2+2?","reference":"Four.","answer":"4"}""", """{"id":"r","instruction":"x","expected":"y"}""");

        var items = InstructionDataset.ReadEvaluationItems(path);

        Assert.Equal(("Four.", "4"), (items[0].Reference, items[0].ExpectedAnswer));
        Assert.Equal("y", items[1].ExpectedAnswer);
    }

    [Theory]
    [InlineData("""{"id":"a","instruction":"ok"}""", """{"id":"b","instruction": oops}""", 2, "not valid JSON")]
    [InlineData("""{"id":"a","instruction":"ok"}""", """{"id":"a","instruction":"again"}""", 2, "duplicate id 'a': first seen on line 1")]
    [InlineData("""{"id":"a","instruction":"ok"}""", """{"id":"b","instruction":"   "}""", 2, "the instruction is empty")]
    [InlineData("""{"id":"a","text":"ok"}""", """{"id":"b","instruction":"x"}""", 1, "no instruction")]
    [InlineData("""[1,2]""", """{"id":"b","instruction":"x"}""", 1, "expected a JSON object")]
    [InlineData("""{"id":"a","messages":[{"role":"bot","content":"x"}]}""", """{"id":"b","instruction":"x"}""", 1, "messages[0].role is 'bot'")]
    [InlineData("""{"id":true,"instruction":"x"}""", """{"id":"b","instruction":"x"}""", 1, "'id' must be a string or a number")]
    public void ReadInstructions_BadLine_NamesFileAndLine(string first, string second, int line, string problem)
    {
        using var folder = new TemporaryRunFolder();
        string path = Write(folder, first, second);

        var error = Assert.Throws<DatasetFormatException>(() => InstructionDataset.ReadInstructions(path));

        Assert.Equal(line, error.LineNumber);
        Assert.StartsWith($"{path}({line}): ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadInstructions_SameInstructionTwiceWithoutIds_ReportsBothLines()
    {
        using var folder = new TemporaryRunFolder();
        string path = Write(folder, """{"instruction":"Same"}""", """{"instruction":"Other"}""", """{"instruction":"Same"}""");

        var error = Assert.Throws<DatasetFormatException>(() => InstructionDataset.ReadInstructions(path));

        Assert.Equal(3, error.LineNumber);
        Assert.Contains("first seen on line 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadInstructions_MissingFile_ThrowsFileNotFound()
    {
        using var folder = new TemporaryRunFolder();
        Assert.Throws<FileNotFoundException>(() => InstructionDataset.ReadInstructions(folder.File("none.jsonl")));
    }

    [Fact]
    public void WriteInstructions_ThenRead_RoundTrips()
    {
        using var folder = new TemporaryRunFolder();
        InstructionItem[] items = [new("a", "Ünïcode \"quotes\"\nand lines"), new("b", "Two")];
        InstructionDataset.WriteInstructions(folder.File("out.jsonl"), items);
        Assert.Equal(items, InstructionDataset.ReadInstructions(folder.File("out.jsonl")));
    }
}
