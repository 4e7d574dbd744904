using System.Text;
using Microsoft.Extensions.Logging;
using Srt.Testing;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Runs;

public sealed class JsonlStoreTests
{
    public sealed record Note(string Id, string Text);

    [Fact]
    public void Append_ThenReadAll_RoundTripsOneLinePerRecord()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("sub", "notes.jsonl");
        using (var store = new JsonlStore<Note>(path))
        {
            store.Append(new Note("a", "line one\nline two, «ünïcode»"));
            store.Append(new Note("b", "second"));
        }

        using var reader = new JsonlStore<Note>(path);
        Assert.Equal([new Note("a", "line one\nline two, «ünïcode»"), new Note("b", "second")], reader.ReadAll());
        Assert.Equal(2, File.ReadAllLines(path).Length);
        Assert.Equal("{\"id\":\"b\",\"text\":\"second\"}", File.ReadAllLines(path)[1]);
        Assert.False(File.ReadAllBytes(path).AsSpan().StartsWith(Encoding.UTF8.Preamble));
    }

    [Fact]
    public void ReadAll_TornLastLine_SkippedWithWarningAndNextAppendClean()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("notes.jsonl");
        File.WriteAllText(path, "{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\",\"te");
        var logger = new RecordingLogger();
        using var loggerFactory = logger.ToFactory();
        using var store = new JsonlStore<Note>(path, loggerFactory: loggerFactory);

        IReadOnlyList<Note> notes = store.ReadAll();
        store.Append(new Note("c", "y"));

        Assert.Equal([new Note("a", "x")], notes);
        string warning = Assert.Single(logger.At(LogLevel.Warning));
        Assert.Contains("line 2", warning, StringComparison.Ordinal);
        Assert.Contains(path, warning, StringComparison.Ordinal);
        Assert.Equal(["{\"id\":\"a\",\"text\":\"x\"}", "{\"id\":\"c\",\"text\":\"y\"}"], File.ReadAllLines(path));
        Assert.Equal([new Note("a", "x"), new Note("c", "y")], store.ReadAll());
    }

    [Fact]
    public void Append_WithoutRead_RepairsTornTailFirst()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("notes.jsonl");
        File.WriteAllText(path, "{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":");
        using (var store = new JsonlStore<Note>(path))
        {
            store.Append(new Note("b", "y"));
        }

        Assert.Equal(["{\"id\":\"a\",\"text\":\"x\"}", "{\"id\":\"b\",\"text\":\"y\"}"], File.ReadAllLines(path));
    }

    [Fact]
    public void ReadAll_WholeRecordMissingOnlyLineEnd_KeptAndLineFinished()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("notes.jsonl");
        File.WriteAllText(path, "{\"id\":\"a\",\"text\":\"x\"}");
        using var store = new JsonlStore<Note>(path);

        Assert.Equal([new Note("a", "x")], store.ReadAll());
        store.Append(new Note("b", "y"));

        Assert.Equal(2, store.ReadAll().Count);
    }

    [Fact]
    public void ReadAll_MalformedMiddleLine_ErrorNamesFileAndLine()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("notes.jsonl");
        File.WriteAllText(path, "{\"id\":\"a\",\"text\":\"x\"}\n\n{not json}\n{\"id\":\"c\",\"text\":\"z\"}\n");
        using var store = new JsonlStore<Note>(path);

        var error = Assert.Throws<InvalidDataException>(() => store.ReadAll());

        Assert.Contains(path + "(3)", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, File.ReadAllLines(path).Length);
    }

    [Fact]
    public void Rewrite_ReplacesContent()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("notes.jsonl");
        using var store = new JsonlStore<Note>(path);
        store.Append(new Note("a", "x"));

        store.Rewrite([new Note("b", "y")]);
        store.Append(new Note("c", "z"));

        Assert.Equal([new Note("b", "y"), new Note("c", "z")], store.ReadAll());
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public async Task Append_Concurrently_EveryLineWhole()
    {
        using var folder = new TemporaryRunFolder();
        string path = folder.File("notes.jsonl");
        using var store = new JsonlStore<Note>(path);

        await Parallel.ForAsync(0, 400, (index, _) =>
        {
            store.Append(new Note(index.ToString(System.Globalization.CultureInfo.InvariantCulture), new string('x', index)));
            return ValueTask.CompletedTask;
        });

        using var reader = new JsonlStore<Note>(path);
        Assert.Equal(400, reader.ReadAll().Select(note => note.Id).Distinct().Count());
    }
}
