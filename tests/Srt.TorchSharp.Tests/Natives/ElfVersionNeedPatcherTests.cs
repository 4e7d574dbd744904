using Srt.TorchSharp.Build;

namespace Srt.TorchSharp.Tests.Natives;

/// <summary>The ELF patcher on a temporary copy of the real libLibTorchSharp.so from the NuGet cache.</summary>
public sealed class ElfVersionNeedPatcherTests : IDisposable
{
    private const string Library = "libstdc++.so.6";
    private const string Version = "GLIBCXX_3.4.32";
    private readonly string _directory = NativesTestEnvironment.CreateTemporaryDirectory("elf-patcher");
    private readonly string _copy;

    public ElfVersionNeedPatcherTests()
    {
        _copy = Path.Combine(_directory, NativesTestEnvironment.LibraryFileName);
        File.Copy(NativesTestEnvironment.CachedLibrary, _copy);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void ReadVersionNeeds_CachedLibrary_ListsTheStrongGlibcxx3432NeedAmongOthers()
    {
        var needs = ElfReader.ReadVersionNeeds(File.ReadAllBytes(_copy));

        var target = Assert.Single(needs, n => n.Library == Library && n.Version == Version);
        Assert.False(target.IsWeak);
        Assert.Contains(needs, n => n.Library == "libc.so.6" && n.Version == "GLIBC_2.2.5");
        Assert.Contains(needs, n => n.Library == Library && n.Version == "GLIBCXX_3.4");
        Assert.All(needs, n => Assert.False(n.IsWeak, $"{n.Library} {n.Version} is weak in the pristine file"));
    }

    [Fact]
    public void WeakenVersionNeeds_CachedLibraryCopy_SetsOnlyTheWeakBitOfThatEntry()
    {
        byte[] before = File.ReadAllBytes(_copy);
        var needsBefore = ElfReader.ReadVersionNeeds(before);

        var result = ElfVersionNeedPatcher.WeakenVersionNeeds(_copy, Library, [Version]);

        Assert.Equal(ElfPatchStatus.Patched, result.Status);
        Assert.Equal([Version], result.Versions);
        byte[] after = File.ReadAllBytes(_copy);
        Assert.Equal(before.Length, after.Length);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        long flagsOffset = needsBefore.Single(n => n.Version == Version).FlagsOffset;
        Assert.Equal([(int)flagsOffset], changed);
        Assert.Equal(before[flagsOffset] | ElfVersionNeed.WeakFlag, after[flagsOffset]);

        var needsAfter = ElfReader.ReadVersionNeeds(after);
        Assert.Equal(needsBefore.Count, needsAfter.Count);
        Assert.True(needsAfter.Single(n => n.Library == Library && n.Version == Version).IsWeak);
        Assert.Equal(
            needsBefore.Where(n => n.Version != Version).Select(n => (n.Library, n.Version, n.Flags)),
            needsAfter.Where(n => n.Version != Version).Select(n => (n.Library, n.Version, n.Flags)));
    }

    [Fact]
    public void WeakenVersionNeeds_SecondRun_IsNoOpThatLeavesBytesAndTimestamp()
    {
        ElfVersionNeedPatcher.WeakenVersionNeeds(_copy, Library, [Version]);
        byte[] patched = File.ReadAllBytes(_copy);
        var stamp = File.GetLastWriteTimeUtc(_copy);

        var second = ElfVersionNeedPatcher.WeakenVersionNeeds(_copy, Library, [Version]);

        Assert.Equal(ElfPatchStatus.AlreadyWeak, second.Status);
        Assert.Equal(patched, File.ReadAllBytes(_copy));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(_copy));
    }

    [Fact]
    public void WeakenVersionNeeds_Patching_KeepsLastWriteTimeSoIncrementalCopySkipsTheFile()
    {
        var original = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(_copy, original);

        ElfVersionNeedPatcher.WeakenVersionNeeds(_copy, Library, [Version]);

        Assert.Equal(original, File.GetLastWriteTimeUtc(_copy));
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
    }

    [Fact]
    public void WeakenVersionNeeds_HardLinkedFile_LeavesTheOtherLinkUntouched()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // link(2) from libc
        }
        string link = Path.Combine(_directory, "linked.so");
        Assert.Equal(0, HardLink.Create(_copy, link));
        byte[] pristine = File.ReadAllBytes(_copy);

        var result = ElfVersionNeedPatcher.WeakenVersionNeeds(link, Library, [Version]);

        Assert.Equal(ElfPatchStatus.Patched, result.Status);
        Assert.Equal(pristine, File.ReadAllBytes(_copy));
        Assert.True(ElfReader.ReadVersionNeeds(File.ReadAllBytes(link)).Single(n => n.Version == Version).IsWeak);
    }

    [Fact]
    public void WeakenVersionNeeds_SymbolicLink_ReplacesTheLinkNotItsTarget()
    {
        string link = Path.Combine(_directory, "symlinked.so");
        File.CreateSymbolicLink(link, _copy);
        byte[] pristine = File.ReadAllBytes(_copy);

        ElfVersionNeedPatcher.WeakenVersionNeeds(link, Library, [Version]);

        Assert.Equal(pristine, File.ReadAllBytes(_copy));
        Assert.Null(new FileInfo(link).LinkTarget);
        Assert.True(ElfReader.ReadVersionNeeds(File.ReadAllBytes(link)).Single(n => n.Version == Version).IsWeak);
    }

    [Fact]
    public void WeakenVersionNeeds_VersionNotNeeded_ReportsNoMatchAndLeavesFile()
    {
        byte[] before = File.ReadAllBytes(_copy);

        var fromOtherLibrary = ElfVersionNeedPatcher.WeakenVersionNeeds(_copy, "libc.so.6", [Version]);
        var unknownVersion = ElfVersionNeedPatcher.WeakenVersionNeeds(_copy, Library, ["GLIBCXX_9.9.99"]);

        Assert.Equal(ElfPatchStatus.NoMatchingEntry, fromOtherLibrary.Status);
        Assert.Equal(ElfPatchStatus.NoMatchingEntry, unknownVersion.Status);
        Assert.Equal(before, File.ReadAllBytes(_copy));
    }
}
