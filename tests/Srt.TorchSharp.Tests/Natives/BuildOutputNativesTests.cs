using Srt.TorchSharp.Build;

namespace Srt.TorchSharp.Tests.Natives;

/// <summary>What the build did to this test project's own output, and the system library probe it relied on.</summary>
public sealed class BuildOutputNativesTests
{
    private const string Library = "libstdc++.so.6";
    private const string Version = "GLIBCXX_3.4.32";

    [Fact]
    public void SystemLibraryLocator_SystemLibstdcxx_IsFoundAndItsDefinitionsDecideMissingVersions()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var copies = SystemLibraryLocator.Find(Library);
        var missing = ElfVersionNeedPatcher.MissingVersions(copies, [Version, "GLIBCXX_3.4"]);

        Assert.NotEmpty(copies);
        var definitions = ElfReader.ReadVersionDefinitions(File.ReadAllBytes(copies[0]));
        Assert.Contains("GLIBCXX_3.4", definitions);
        Assert.DoesNotContain("GLIBCXX_3.4", missing);
        Assert.Equal(copies.Any(c => !ElfReader.ReadVersionDefinitions(File.ReadAllBytes(c)).Contains(Version)), missing.Contains(Version));
    }

    [Fact]
    public void SystemLibraryLocator_LoaderConfigWithInclude_SearchesItsDirectoriesFirst()
    {
        string root = NativesTestEnvironment.CreateTemporaryDirectory("ldconfig");
        try
        {
            string libraries = Directory.CreateDirectory(Path.Combine(root, "lib")).FullName;
            string fragments = Directory.CreateDirectory(Path.Combine(root, "conf.d")).FullName;
            File.WriteAllText(Path.Combine(libraries, "libsrt-probe.so.1"), "not really ELF");
            File.WriteAllText(Path.Combine(fragments, "srt.conf"), $"# comment\n{libraries} # trailing comment\n");
            File.WriteAllText(Path.Combine(root, "ld.so.conf"), $"include {fragments}/*.conf\n");

            var found = SystemLibraryLocator.Find("libsrt-probe.so.1", Path.Combine(root, "ld.so.conf"));

            Assert.Equal([Path.Combine(libraries, "libsrt-probe.so.1")], found);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void MissingVersions_NoOrUnreadableSystemLibrary_CountsEveryVersionAsMissing()
    {
        string notElf = Path.Combine(Path.GetTempPath(), $"srt-not-elf-{Guid.NewGuid():N}.so");
        File.WriteAllText(notElf, "not ELF");
        try
        {
            Assert.Equal([Version], ElfVersionNeedPatcher.MissingVersions([], [Version]));
            Assert.Equal([Version], ElfVersionNeedPatcher.MissingVersions([notElf], [Version]));
        }
        finally
        {
            File.Delete(notElf);
        }
    }

    [Fact]
    public void Build_OutputCopy_IsWeakExactlyWhenTheSystemLacksTheVersion_AndTheCacheIsUntouched()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        bool systemLacksVersion = ElfVersionNeedPatcher.MissingVersions(SystemLibraryLocator.Find(Library), [Version]).Count > 0;

        var output = ElfReader.ReadVersionNeeds(File.ReadAllBytes(NativesTestEnvironment.OutputLibrary));
        var cache = ElfReader.ReadVersionNeeds(File.ReadAllBytes(NativesTestEnvironment.CachedLibrary));

        Assert.Equal(systemLacksVersion, output.Single(n => n.Library == Library && n.Version == Version).IsWeak);
        Assert.False(cache.Single(n => n.Library == Library && n.Version == Version).IsWeak, "The NuGet cache copy was modified.");
    }
}
