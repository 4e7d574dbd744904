using Srt.TorchSharp.Build;

namespace Srt.TorchSharp.Tests.Natives;

/// <summary>What the build did to this test project's own output, and the system library probe it relied on.</summary>
public sealed class BuildOutputNativesTests
{
    private const string Library = "libstdc++.so.6";
    private const string Version = "GLIBCXX_3.4.32";

    [Fact]
    public void SystemLibraryProbe_SystemLibstdcxx_IsFoundAndItsDefinitionsDecideMissingVersions()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var copies = SystemLibraryProbe.Find(Library);
        var missing = SystemLibraryProbe.MissingVersions(Library, [Version, "GLIBCXX_3.4"], out string searched);

        Assert.NotEmpty(copies);
        Assert.Contains(copies[0], searched);
        var definitions = ElfReader.ReadVersionDefinitions(File.ReadAllBytes(copies[0]));
        Assert.Contains("GLIBCXX_3.4", definitions);
        Assert.DoesNotContain("GLIBCXX_3.4", missing);
        Assert.Equal(copies.Any(c => !ElfReader.ReadVersionDefinitions(File.ReadAllBytes(c)).Contains(Version)), missing.Contains(Version));
    }

    [Fact]
    public void Build_OutputCopy_IsWeakExactlyWhenTheSystemLacksTheVersion_AndTheCacheIsUntouched()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        bool systemLacksVersion = SystemLibraryProbe.MissingVersions(Library, [Version], out _).Count > 0;

        var output = ElfReader.ReadVersionNeeds(File.ReadAllBytes(NativesTestEnvironment.OutputLibrary));
        var cache = ElfReader.ReadVersionNeeds(File.ReadAllBytes(NativesTestEnvironment.CachedLibrary));

        Assert.Equal(systemLacksVersion, output.Single(n => n.Library == Library && n.Version == Version).IsWeak);
        Assert.False(cache.Single(n => n.Library == Library && n.Version == Version).IsWeak, "The NuGet cache copy was modified.");
    }
}
