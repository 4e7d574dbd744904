namespace Srt.Tests.Samples;

public sealed class GettingStartedDocTests
{
    [Fact]
    public void GettingStarted_TestKitExample_IsTheCodeOfTheSampleTest()
    {
        string root = RepositoryRoot();
        string doc = File.ReadAllText(Path.Combine(root, "docs", "getting-started.md")).ReplaceLineEndings("\n");
        string sample = File.ReadAllText(Path.Combine(root, "tests", "Srt.Tests", "Samples", "GettingStartedTestKitTests.cs")).ReplaceLineEndings("\n");
        string code = sample[sample.IndexOf("using Srt;", StringComparison.Ordinal)..].TrimEnd('\n');

        int section = doc.IndexOf("## Test your code with Srt.Testing", StringComparison.Ordinal);
        int start = doc.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = doc.IndexOf("\n```", start, StringComparison.Ordinal);

        Assert.True(section >= 0, "docs/getting-started.md has no Srt.Testing section.");
        Assert.Equal(code, doc[start..end]);
        Assert.Contains("<PackageReference Include=\"Srt.Testing\"", doc[section..], StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Srt.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Srt.sln above {AppContext.BaseDirectory}.");
    }
}
