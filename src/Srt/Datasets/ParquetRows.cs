using System.Text.Json;
using Parquet;
using Parquet.Serialization;

namespace Srt.Datasets;

/// <summary>
/// Reads a Parquet file's rows as JSON objects, one row group at a time: strings stay strings, numbers numbers, and
/// nested columns (a list of <c>{role, content}</c> structs, as Hugging Face stores conversations) become arrays of
/// objects, so one set of column rules serves every file kind.
/// </summary>
internal static class ParquetRows
{
    public static IEnumerable<DatasetRow> Read(string path)
    {
        int groups;
        try
        {
            groups = Run(async () =>
            {
                var reader = await ParquetReader.CreateAsync(path).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    return reader.RowGroupCount;
                }
            });
        }
        catch (Exception exception) when (exception is IOException or InvalidDataException or NotSupportedException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not a readable Parquet file: {exception.Message}", exception);
        }

        int row = 0;
        for (int group = 0; group < groups; group++)
        {
            int index = group;
            var result = Run(async () =>
            {
                var stream = File.OpenRead(path);
                await using (stream.ConfigureAwait(false))
                {
                    return await ParquetSerializer.DeserializeUntypedAsync(stream, null, index).ConfigureAwait(false);
                }
            });
            foreach (var values in result.Data)
            {
                row++;
                yield return new DatasetRow(path, row, IsLine: false, JsonSerializer.SerializeToElement(values));
            }
        }
    }

    // The dataset readers are synchronous; Parquet.Net is asynchronous only. Running it on the thread pool keeps a
    // caller's synchronization context (a UI thread) out of its continuations.
    private static T Run<T>(Func<Task<T>> read) => Task.Run(read).GetAwaiter().GetResult();
}
