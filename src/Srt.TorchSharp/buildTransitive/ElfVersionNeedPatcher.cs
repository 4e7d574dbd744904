// Compiled by MSBuild's RoslynCodeTaskFactory (see Srt.TorchSharp.targets) against .NET Standard 2.0, and into
// Srt.TorchSharp.Tests with SRT_ELF_PATCHER_TESTS defined, which leaves out the MSBuild task class. Hence
// netstandard2.0 APIs only, explicit usings and `#nullable enable`. The code task factory compiles one source
// file per task, which is why the ELF types and the task share this file.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace Srt.TorchSharp.Build;

/// <summary>Thrown when a file is not a well-formed 64-bit little-endian ELF image.</summary>
internal sealed class ElfFormatException(string message) : Exception(message);

/// <summary>One Vernaux entry of <c>.gnu.version_r</c>: a version the image needs from a library.</summary>
/// <param name="library">The Verneed's <c>vn_file</c>, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="version">The version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="flags">The entry's <c>vna_flags</c>.</param>
/// <param name="flagsOffset">The file offset of <c>vna_flags</c>, where a patch writes.</param>
internal sealed class ElfVersionNeed(string library, string version, ushort flags, long flagsOffset)
{
    /// <summary>The <c>VER_FLG_WEAK</c> bit: the loader tolerates a missing version.</summary>
    public const ushort WeakFlag = 0x2;

    public string Library { get; } = library;
    public string Version { get; } = version;
    public ushort Flags { get; } = flags;
    public long FlagsOffset { get; } = flagsOffset;
    public bool IsWeak => (Flags & WeakFlag) != 0;
}

/// <summary>Reads the symbol-versioning sections of an ELF64 little-endian image, checking every bound.</summary>
internal static class ElfReader
{
    private const uint NoBits = 8; // SHT_NOBITS: occupies no file space
    private const uint VersionDefinitions = 0x6ffffffd; // SHT_GNU_verdef
    private const uint VersionNeeds = 0x6ffffffe; // SHT_GNU_verneed

    private sealed class Section
    {
        public int Index;
        public uint Type, Link, Info;
        public long Offset, Size;
    }

    /// <summary>Every Vernaux entry of every SHT_GNU_verneed section, in file order.</summary>
    public static IReadOnlyList<ElfVersionNeed> ReadVersionNeeds(byte[] image)
    {
        var needs = new List<ElfVersionNeed>();
        var sections = ReadSections(image);
        foreach (var section in sections.Where(s => s.Type == VersionNeeds))
        {
            var strings = LinkedStringTable(sections, section);
            // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
            foreach (long need in Chain(image, section, 0, section.Info, 16, nextField: 12, "Verneed"))
            {
                string library = ReadString(image, strings, U32(image, need + 4));
                long firstAux = need - section.Offset + U32(image, need + 8);
                // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
                foreach (long aux in Chain(image, section, firstAux, U16(image, need + 2), 16, nextField: 12, "Vernaux"))
                {
                    needs.Add(new ElfVersionNeed(library, ReadString(image, strings, U32(image, aux + 8)), U16(image, aux + 4), aux + 4));
                }
            }
        }
        return needs;
    }

    /// <summary>The name of every version the image defines (first Verdaux of each Verdef), e.g. <c>GLIBCXX_3.4.30</c>.</summary>
    public static IReadOnlyList<string> ReadVersionDefinitions(byte[] image)
    {
        var names = new List<string>();
        var sections = ReadSections(image);
        foreach (var section in sections.Where(s => s.Type == VersionDefinitions))
        {
            var strings = LinkedStringTable(sections, section);
            // Verdef: vd_version, vd_flags, vd_ndx, vd_cnt (u16 each), vd_hash, vd_aux, vd_next (u32 each).
            foreach (long definition in Chain(image, section, 0, section.Info, 20, nextField: 16, "Verdef"))
            {
                // Verdaux: vda_name u32, vda_next u32.
                long aux = definition - section.Offset + U32(image, definition + 12);
                RequireInSection(section, aux, 8, "Verdaux");
                names.Add(ReadString(image, strings, U32(image, section.Offset + aux)));
            }
        }
        return names;
    }

    /// <summary>
    /// The file offsets of a chain of at most <paramref name="count"/> entries linked by relative offsets
    /// (<c>vn_next</c>, <c>vna_next</c>, <c>vd_next</c>); 0 ends the chain. Each entry must lie inside the section,
    /// and the walk is bounded by the section size, so a cyclic chain cannot loop forever.
    /// </summary>
    private static IEnumerable<long> Chain(byte[] image, Section section, long start, long count, int entrySize, int nextField, string what)
    {
        long cursor = start;
        for (long n = 0; n < count && n <= section.Size / entrySize; n++)
        {
            RequireInSection(section, cursor, entrySize, what + " entry");
            long entry = section.Offset + cursor;
            yield return entry;
            uint next = U32(image, entry + nextField);
            if (next == 0)
            {
                yield break;
            }
            cursor += next;
        }
    }

    private static List<Section> ReadSections(byte[] image)
    {
        if (image.Length < 64)
        {
            throw new ElfFormatException($"the file is {image.Length} bytes, shorter than an ELF64 header (64 bytes)");
        }
        if (image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
        {
            throw new ElfFormatException("the file does not start with the ELF magic bytes 7F 45 4C 46");
        }
        if (image[4] != 2 || image[5] != 1)
        {
            throw new ElfFormatException($"ELF class {image[4]}, data encoding {image[5]}: only 64-bit (2) little-endian (1) is supported");
        }
        ulong tableOffset = U64(image, 0x28); // e_shoff
        ushort entrySize = U16(image, 0x3A); // e_shentsize
        long count = U16(image, 0x3C); // e_shnum
        if (tableOffset == 0 || entrySize < 64)
        {
            throw new ElfFormatException($"the section header table is missing (e_shoff 0x{tableOffset:x}, e_shentsize {entrySize})");
        }
        RequireInFile(image, tableOffset, entrySize, "section header 0");
        if (count == 0)
        {
            // Extended numbering (0xff00 sections or more): the real count is section 0's sh_size.
            count = (long)Math.Min(U64(image, (long)tableOffset + 32), int.MaxValue);
        }
        RequireInFile(image, tableOffset, (ulong)count * entrySize, $"section header table ({count} entries of {entrySize} bytes)");
        var sections = new List<Section>((int)count);
        for (int i = 0; i < count; i++)
        {
            long header = (long)tableOffset + (long)i * entrySize;
            uint type = U32(image, header + 4);
            ulong offset = U64(image, header + 24), size = U64(image, header + 32);
            bool inFile = i != 0 && type != NoBits;
            if (inFile)
            {
                RequireInFile(image, offset, size, $"section {i} (offset 0x{offset:x}, size 0x{size:x})");
            }
            sections.Add(new Section
            {
                Index = i,
                Type = type,
                Link = U32(image, header + 40),
                Info = U32(image, header + 44),
                Offset = inFile ? (long)offset : 0,
                Size = inFile ? (long)size : 0,
            });
        }
        return sections;
    }

    private static Section LinkedStringTable(List<Section> sections, Section section)
    {
        if (section.Link == 0 || section.Link >= sections.Count)
        {
            throw new ElfFormatException($"section {section.Index} links to string table {section.Link}, which does not exist");
        }
        return sections[(int)section.Link];
    }

    private static string ReadString(byte[] image, Section strings, uint offset)
    {
        if (offset >= strings.Size)
        {
            throw new ElfFormatException($"string offset 0x{offset:x} is outside string table section {strings.Index} (size 0x{strings.Size:x})");
        }
        long start = strings.Offset + offset, end = strings.Offset + strings.Size, terminator = start;
        while (terminator < end && image[terminator] != 0)
        {
            terminator++;
        }
        if (terminator == end)
        {
            throw new ElfFormatException($"the string at offset 0x{offset:x} of section {strings.Index} is not NUL-terminated");
        }
        return Encoding.UTF8.GetString(image, (int)start, (int)(terminator - start));
    }

    private static void RequireInSection(Section section, long cursor, int length, string what)
    {
        if (cursor < 0 || cursor + length > section.Size)
        {
            throw new ElfFormatException($"{what} at offset 0x{cursor:x} runs past the end of section {section.Index} (size 0x{section.Size:x})");
        }
    }

    private static void RequireInFile(byte[] image, ulong offset, ulong length, string what)
    {
        if (offset > (ulong)image.Length || length > (ulong)image.Length - offset)
        {
            throw new ElfFormatException($"{what} lies beyond the end of the file ({image.Length} bytes)");
        }
    }

    private static ushort U16(byte[] image, long offset)
    {
        RequireInFile(image, (ulong)offset, 2, $"the field at 0x{offset:x}");
        return (ushort)(image[offset] | image[offset + 1] << 8);
    }

    private static uint U32(byte[] image, long offset)
    {
        RequireInFile(image, (ulong)offset, 4, $"the field at 0x{offset:x}");
        return (uint)(image[offset] | image[offset + 1] << 8 | image[offset + 2] << 16 | image[offset + 3] << 24);
    }

    private static ulong U64(byte[] image, long offset) => U32(image, offset) | (ulong)U32(image, offset + 4) << 32;
}

/// <summary>What <see cref="ElfVersionNeedPatcher.WeakenVersionNeeds"/> did to one file.</summary>
internal enum ElfPatchStatus
{
    Patched, // at least one entry was marked weak
    AlreadyWeak, // every matching entry was weak already; the file was not written
    NoMatchingEntry, // the file needs none of the versions; it was not written
    Invalid, // the file could not be read or written, or is not a well-formed ELF64 little-endian image
}

/// <summary>The outcome for one file: a status, the versions concerned, and for invalid files the reason.</summary>
internal sealed class ElfPatchResult(ElfPatchStatus status, IReadOnlyList<string> versions, string message)
{
    public ElfPatchStatus Status { get; } = status;
    public IReadOnlyList<string> Versions { get; } = versions;
    public string Message { get; } = message;
}

/// <summary>Marks chosen version-need entries of an ELF image as weak, without writing through links to the file.</summary>
internal static class ElfVersionNeedPatcher
{
    /// <summary>
    /// Sets <c>VER_FLG_WEAK</c> on each Vernaux entry that needs one of <paramref name="versions"/> from
    /// <paramref name="library"/>. Idempotent. The patched bytes go to a fresh copy that is renamed over
    /// <paramref name="path"/>, so a hard link or symlink shared with the NuGet cache is never written through;
    /// the original last-write time is kept so MSBuild's incremental copy does not put the unpatched file back.
    /// </summary>
    public static ElfPatchResult WeakenVersionNeeds(string path, string library, IEnumerable<string> versions)
    {
        var wanted = new HashSet<string>(versions, StringComparer.Ordinal);
        IReadOnlyList<ElfVersionNeed> needs;
        try
        {
            needs = ElfReader.ReadVersionNeeds(File.ReadAllBytes(path));
        }
        catch (ElfFormatException e)
        {
            return Invalid($"{path} is not a valid ELF64 little-endian file: {e.Message}.");
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            return Invalid($"{path} could not be read: {e.Message}");
        }

        var matching = needs.Where(n => n.Library == library && wanted.Contains(n.Version)).ToList();
        var strong = matching.Where(n => !n.IsWeak).ToList();
        if (strong.Count == 0)
        {
            var status = matching.Count == 0 ? ElfPatchStatus.NoMatchingEntry : ElfPatchStatus.AlreadyWeak;
            return new ElfPatchResult(status, matching.Select(n => n.Version).ToList(), string.Empty);
        }

        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            DateTime lastWrite = File.GetLastWriteTimeUtc(path);
            File.Copy(path, temporary, overwrite: true);
            using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                foreach (var need in strong)
                {
                    ushort flags = (ushort)(need.Flags | ElfVersionNeed.WeakFlag);
                    stream.Position = need.FlagsOffset;
                    stream.Write(new[] { (byte)flags, (byte)(flags >> 8) }, 0, 2);
                }
            }
            File.SetLastWriteTimeUtc(temporary, lastWrite);
            // On Unix this is rename(2): atomic, and it replaces the directory entry, not the inode behind it.
            File.Replace(temporary, path, destinationBackupFileName: null);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            return Invalid($"{path} could not be patched: {e.Message}");
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
        return new ElfPatchResult(ElfPatchStatus.Patched, strong.Select(n => n.Version).ToList(), string.Empty);
    }

    /// <summary>
    /// The subset of <paramref name="versions"/> that some of <paramref name="libraries"/> does not define. With no
    /// library, or one that cannot be parsed, every version counts as missing: a weak need is harmless where the
    /// version exists, so doubt falls on the side of patching.
    /// </summary>
    public static IReadOnlyList<string> MissingVersions(IReadOnlyList<string> libraries, IReadOnlyList<string> versions)
    {
        var missing = new List<string>();
        foreach (string library in libraries)
        {
            try
            {
                var defined = ElfReader.ReadVersionDefinitions(File.ReadAllBytes(library));
                missing.AddRange(versions.Where(v => !defined.Contains(v) && !missing.Contains(v)));
            }
            catch (Exception e) when (e is ElfFormatException || e is IOException || e is UnauthorizedAccessException)
            {
                return versions;
            }
        }
        return libraries.Count == 0 ? versions : missing;
    }

    private static ElfPatchResult Invalid(string message) => new(ElfPatchStatus.Invalid, Array.Empty<string>(), message);
}

#if !SRT_ELF_PATCHER_TESTS
/// <summary>
/// MSBuild task: marks the given version needs (by default libstdc++'s GLIBCXX_3.4.32) as weak in each of
/// <see cref="Files"/>, only on Linux and only for versions that some of <see cref="SystemLibraries"/> lacks.
/// </summary>
public sealed class SrtWeakenElfVersionNeeds : Microsoft.Build.Utilities.Task
{
    /// <summary>The ELF files to patch: build or publish output copies, never the NuGet cache.</summary>
    [Microsoft.Build.Framework.Required]
    public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = [];

    /// <summary>The system copies of <see cref="NeededLibrary"/> (see SrtFindSystemLibrary); none means patch.</summary>
    public Microsoft.Build.Framework.ITaskItem[] SystemLibraries { get; set; } = [];

    /// <summary>The library the versions are needed from. The default is <c>libstdc++.so.6</c>.</summary>
    public string NeededLibrary { get; set; } = "libstdc++.so.6";

    /// <summary>Semicolon-separated version names to weaken. The default is <c>GLIBCXX_3.4.32</c>.</summary>
    public string VersionNames { get; set; } = "GLIBCXX_3.4.32";

    public override bool Execute()
    {
        bool linux = System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux);
        IReadOnlyList<string> versions = VersionNames.Split([';'], StringSplitOptions.RemoveEmptyEntries).Select(v => v.Trim()).ToList();
        if (!linux || Files.Length == 0 || versions.Count == 0)
        {
            return true;
        }
        var systemLibraries = SystemLibraries.Select(i => i.ItemSpec).ToList();
        versions = ElfVersionNeedPatcher.MissingVersions(systemLibraries, versions);
        string system = systemLibraries.Count == 0 ? $"no system {NeededLibrary} was found" : $"the system {NeededLibrary} ({string.Join(", ", systemLibraries)}) lacks it";
        if (versions.Count == 0)
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"Srt: the system {NeededLibrary} defines {VersionNames}; TorchSharp natives need no patch.");
            return true;
        }
        foreach (var item in Files)
        {
            string path = item.GetMetadata("FullPath");
            var result = ElfVersionNeedPatcher.WeakenVersionNeeds(path, NeededLibrary, versions);
            if (result.Status == ElfPatchStatus.Patched)
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, $"Srt: marked the need for {NeededLibrary} version {string.Join(", ", result.Versions)} as weak in {path}, because {system}.");
            }
            else if (result.Status == ElfPatchStatus.Invalid)
            {
                Log.LogWarning(null, "SRT1001", null, path, 0, 0, 0, 0, $"Srt could not patch this TorchSharp native library, so it may fail to load: {result.Message}");
            }
            else
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"Srt: {path} needs no patch ({result.Status}).");
            }
        }
        return !Log.HasLoggedErrors;
    }
}
#endif
