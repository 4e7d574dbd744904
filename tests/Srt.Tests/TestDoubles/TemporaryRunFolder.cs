namespace Srt.Tests.TestDoubles;

/// <summary>A fresh folder under the system's temporary folder, deleted on dispose.</summary>
internal sealed class TemporaryRunFolder : IDisposable
{
    public TemporaryRunFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "srt-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public string[] Lines(params string[] parts) =>
        System.IO.File.Exists(File(parts)) ? System.IO.File.ReadAllLines(File(parts)).Where(line => line.Length > 0).ToArray() : [];

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }
}
