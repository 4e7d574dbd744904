using System.Text.Json.Serialization;
using Parquet.Serialization;
using Srt.Datasets;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Datasets;

/// <summary>Instruction sets as they come from the Hugging Face Hub: JSON arrays and Parquet, in their usual layouts.</summary>
public sealed class InstructionFileKindsTests
{
    [Fact]
    public void ReadEvaluationItems_AlpacaJsonArray_AppendsInputAndReadsOutputAsReference()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("alpaca.json");
        File.WriteAllText(path, """
            [
              {"instruction": "Give three tips for staying healthy.", "input": "", "output": "Eat well."},
              {"instruction": "Translate to French.", "input": "cat", "output": "chat"}
            ]
            """);

        var items = InstructionDataset.ReadEvaluationItems(path, InstructionColumns.Alpaca);

        Assert.Equal(["Give three tips for staying healthy.", "Translate to French.\n\ncat"], items.Select(i => i.Instruction));
        Assert.Equal(["Eat well.", "chat"], items.Select(i => i.Reference));
        Assert.Equal(InstructionDataset.ContentId("Translate to French.\n\ncat"), items[1].Id);
        Assert.Equal(items, InstructionDataset.ReadEvaluationItems(path));
    }

    [Fact]
    public void ReadInstructions_JsonFileHoldingLines_IsReadAsJsonLines()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("data.json");
        File.WriteAllText(path, "{\"id\":\"a\",\"instruction\":\"One\"}\n{\"id\":\"b\",\"instruction\":\"Two\"}\n");

        var items = InstructionDataset.ReadInstructions(path);

        Assert.Equal([new InstructionItem("a", "One"), new InstructionItem("b", "Two")], items);
    }

    [Fact]
    public void ReadEvaluationItems_AlpacaParquet_ReadsNumericIdsInputsAndReferences()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("train-00000-of-00001.parquet");
        WriteParquet(path, [new AlpacaRow { Id = 7, Instruction = "Add.", Input = "2 and 3", Output = "5" }, new AlpacaRow { Id = 8, Instruction = "Name a color.", Input = null, Output = "Red" }]);

        var items = InstructionDataset.ReadEvaluationItems(path, InstructionColumns.Alpaca);

        Assert.Equal(["7", "8"], items.Select(i => i.Id));
        Assert.Equal(["Add.\n\n2 and 3", "Name a color."], items.Select(i => i.Instruction));
        Assert.Equal(["5", "Red"], items.Select(i => i.Reference));
    }

    [Fact]
    public void ReadInstructions_ShareGptParquet_TakesTheLastHumanTurn()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("sharegpt.parquet");
        WriteParquet(path, [new ShareGptRow
        {
            Id = "conv-1",
            Conversations =
            [
                new ShareGptTurn { From = "system", Value = "Be brief." },
                new ShareGptTurn { From = "human", Value = "Hi" },
                new ShareGptTurn { From = "gpt", Value = "Hello" },
                new ShareGptTurn { From = "human", Value = "What is 2+2?" },
            ],
        }]);

        Assert.Equal([new InstructionItem("conv-1", "What is 2+2?")], InstructionDataset.ReadInstructions(path, InstructionColumns.ShareGpt));
        Assert.Equal([new InstructionItem("conv-1", "What is 2+2?")], InstructionDataset.ReadInstructions(path));
    }

    [Fact]
    public void ReadInstructions_UltraFeedbackParquetWithMessages_KeysByPromptId()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("ultrafeedback.parquet");
        WriteParquet(path, [new UltraFeedbackRow
        {
            PromptId = "9f1c",
            Prompt = "Explain photosynthesis.",
            Messages = [new ChatTurn { Role = "user", Content = "Explain photosynthesis." }, new ChatTurn { Role = "assistant", Content = "Plants..." }],
        }]);

        Assert.Equal([new InstructionItem("9f1c", "Explain photosynthesis.")], InstructionDataset.ReadInstructions(path, InstructionColumns.UltraFeedback));
        Assert.Equal([new InstructionItem("9f1c", "Explain photosynthesis.")], InstructionDataset.ReadInstructions(path));
        Assert.Equal([new InstructionItem("9f1c", "Explain photosynthesis.")], InstructionDataset.ReadInstructions(path, new InstructionColumns { Instruction = "messages", Id = "prompt_id" }));
    }

    [Fact]
    public void ReadInstructions_BadJsonArrayRow_NamesFileRowAndColumn()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("data.json");
        File.WriteAllText(path, """[{"instruction": "Fine."}, {"instruction": 42}]""");

        var error = Assert.Throws<DatasetFormatException>(() => InstructionDataset.ReadInstructions(path));

        Assert.StartsWith($"{path}(row 2): ", error.Message, StringComparison.Ordinal);
        Assert.Contains("'instruction' must be a string or a list of messages, not Number", error.Message, StringComparison.Ordinal);
        Assert.Equal((2, true, "instruction"), (error.LineNumber, error.IsRow, error.Column));
    }

    [Fact]
    public void ReadInstructions_MalformedJsonArray_NamesTheLine()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("data.json");
        File.WriteAllText(path, "[\n  {\"instruction\": \"Fine.\"},\n  {\"instruction\": oops}\n]");

        var error = Assert.Throws<DatasetFormatException>(() => InstructionDataset.ReadInstructions(path));

        Assert.StartsWith($"{path}(3): not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadInstructions_ParquetRowErrors_NameRowAndColumn()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("sharegpt.parquet");
        WriteParquet(path, [
            new ShareGptRow { Id = "a", Conversations = [new ShareGptTurn { From = "human", Value = "Hi" }] },
            new ShareGptRow { Id = "b", Conversations = [new ShareGptTurn { From = "robot", Value = "Hi" }] },
        ]);

        var error = Assert.Throws<DatasetFormatException>(() => InstructionDataset.ReadInstructions(path));

        Assert.StartsWith($"{path}(row 2): conversations[0].from is 'robot'", error.Message, StringComparison.Ordinal);
        Assert.Equal("conversations", error.Column);
    }

    [Fact]
    public void ReadInstructions_NamedColumnMissing_SaysWhichColumn()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("data.jsonl");
        File.WriteAllText(path, "{\"instruction\":\"One\"}\n");

        var error = Assert.Throws<DatasetFormatException>(() => InstructionDataset.ReadInstructions(path, new InstructionColumns { Instruction = "question" }));

        Assert.Equal($"{path}(1): the column 'question' is missing.", error.Message);
        Assert.Equal("question", error.Column);
    }

    [Fact]
    public void ReadInstructions_DuplicateIdInParquet_ReportsBothRows()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("alpaca.parquet");
        WriteParquet(path, [new AlpacaRow { Id = 1, Instruction = "A" }, new AlpacaRow { Id = 2, Instruction = "B" }, new AlpacaRow { Id = 1, Instruction = "C" }]);

        var error = Assert.Throws<DatasetFormatException>(() => InstructionDataset.ReadInstructions(path));

        Assert.StartsWith($"{path}(row 3): duplicate id '1': first seen on row 1.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadInstructions_NotParquet_NamesTheFile()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("broken.parquet");
        File.WriteAllText(path, "this is not parquet");

        var error = Assert.Throws<InvalidDataException>(() => InstructionDataset.ReadInstructions(path));

        Assert.StartsWith($"{path}: not a readable Parquet file", error.Message, StringComparison.Ordinal);
    }

    private static void WriteParquet<T>(string path, IReadOnlyList<T> rows) =>
        ParquetSerializer.SerializeAsync(rows, path).GetAwaiter().GetResult();

    private sealed class AlpacaRow
    {
        [JsonPropertyName("id")]
        public long Id { get; set; }

        [JsonPropertyName("instruction")]
        public string? Instruction { get; set; }

        [JsonPropertyName("input")]
        public string? Input { get; set; }

        [JsonPropertyName("output")]
        public string? Output { get; set; }
    }

    private sealed class ShareGptRow
    {
        [JsonPropertyName("id")]
        public string? Id { get; set; }

        [JsonPropertyName("conversations")]
        public List<ShareGptTurn>? Conversations { get; set; }
    }

    private sealed class ShareGptTurn
    {
        [JsonPropertyName("from")]
        public string? From { get; set; }

        [JsonPropertyName("value")]
        public string? Value { get; set; }
    }

    private sealed class UltraFeedbackRow
    {
        [JsonPropertyName("prompt_id")]
        public string? PromptId { get; set; }

        [JsonPropertyName("prompt")]
        public string? Prompt { get; set; }

        [JsonPropertyName("messages")]
        public List<ChatTurn>? Messages { get; set; }
    }

    private sealed class ChatTurn
    {
        [JsonPropertyName("role")]
        public string? Role { get; set; }

        [JsonPropertyName("content")]
        public string? Content { get; set; }
    }
}
