using Srt.TorchSharp.Build;

namespace Srt.TorchSharp.Tests.Natives;

/// <summary>Malformed inputs give an <see cref="ElfPatchStatus.Invalid"/> result naming the file and the fault, never an exception.</summary>
public sealed class ElfVersionNeedPatcherMalformedTests : IDisposable
{
    private readonly string _directory = NativesTestEnvironment.CreateTemporaryDirectory("elf-malformed");
    private readonly byte[] _pristine = File.ReadAllBytes(NativesTestEnvironment.CachedLibrary);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(10, "shorter than an ELF64 header")]
    [InlineData(4096, "beyond the end of the file")]
    public void WeakenVersionNeeds_TruncatedFile_ReportsWhatIsMissing(int length, string expected)
    {
        AssertInvalid(_pristine.AsSpan(0, length).ToArray(), expected);
    }

    [Fact]
    public void WeakenVersionNeeds_BadMagic_ReportsMagic()
    {
        byte[] image = Copy();
        image[1] = (byte)'X';

        AssertInvalid(image, "magic bytes");
    }

    [Fact]
    public void WeakenVersionNeeds_ThirtyTwoBitClass_ReportsUnsupportedClass()
    {
        byte[] image = Copy();
        image[4] = 1;

        AssertInvalid(image, "only 64-bit (2) little-endian (1) is supported");
    }

    [Fact]
    public void WeakenVersionNeeds_SectionTableOffsetBeyondFile_ReportsBeyondEnd()
    {
        byte[] image = Copy();
        WriteU64(image, 0x28, (ulong)image.Length + 1000);

        AssertInvalid(image, "beyond the end of the file");
    }

    [Fact]
    public void WeakenVersionNeeds_VerneedSectionOffsetBeyondFile_ReportsTheSection()
    {
        byte[] image = Copy();
        long header = SectionHeader(image, 0x6ffffffe);
        WriteU64(image, header + 24, 0xFFFF_FFFF_0000);

        AssertInvalid(image, "offset 0xffffffff0000");
    }

    [Fact]
    public void WeakenVersionNeeds_StringTableLinkOutOfRange_ReportsTheLink()
    {
        byte[] image = Copy();
        long header = SectionHeader(image, 0x6ffffffe);
        WriteU32(image, header + 40, 9999);

        AssertInvalid(image, "string table 9999, which does not exist");
    }

    [Fact]
    public void WeakenVersionNeeds_VernauxChainRunsPastSection_ReportsTheEntry()
    {
        byte[] image = Copy();
        var need = ElfReader.ReadVersionNeeds(image).First(n => n.Library == "libc.so.6"); // a Verneed with several Vernaux
        WriteU32(image, need.FlagsOffset + 8, 0x7fff_0000); // its first vna_next now points far past the section

        AssertInvalid(image, "Vernaux entry");
    }

    [Fact]
    public void WeakenVersionNeeds_MissingFile_ReportsItCouldNotBeRead()
    {
        string path = Path.Combine(_directory, "absent.so");

        var result = ElfVersionNeedPatcher.WeakenVersionNeeds(path, "libstdc++.so.6", ["GLIBCXX_3.4.32"]);

        Assert.Equal(ElfPatchStatus.Invalid, result.Status);
        Assert.Contains(path, result.Message);
        Assert.Contains("could not be read", result.Message);
    }

    [Fact]
    public void ReadVersionNeeds_VerneedChainIntoGarbage_EndsWithFormatErrorOrResult()
    {
        byte[] image = Copy();
        long section = SectionHeader(image, 0x6ffffffe);
        long start = (long)ReadU64(image, section + 24);
        WriteU32(image, section + 44, uint.MaxValue); // sh_info: claim endless Verneed entries
        WriteU32(image, start + 12, 0x10); // vn_next: read the following Vernaux entries as Verneed entries

        var exception = Record.Exception(() => ElfReader.ReadVersionNeeds(image));

        Assert.True(exception is null or ElfFormatException, $"Unexpected {exception?.GetType().Name}: {exception?.Message}");
    }

    private byte[] Copy() => (byte[])_pristine.Clone();

    private void AssertInvalid(byte[] image, string expected)
    {
        string path = Path.Combine(_directory, $"broken-{Guid.NewGuid():N}.so");
        File.WriteAllBytes(path, image);

        var result = ElfVersionNeedPatcher.WeakenVersionNeeds(path, "libstdc++.so.6", ["GLIBCXX_3.4.32"]);

        Assert.Equal(ElfPatchStatus.Invalid, result.Status);
        Assert.Contains(path, result.Message);
        Assert.Contains(expected, result.Message);
        Assert.Equal(image, File.ReadAllBytes(path));
    }

    /// <summary>The file offset of the first section header of <paramref name="type"/>.</summary>
    private static long SectionHeader(byte[] image, uint type)
    {
        long table = (long)ReadU64(image, 0x28);
        int size = BitConverter.ToUInt16(image, 0x3A), count = BitConverter.ToUInt16(image, 0x3C);
        for (int i = 0; i < count; i++)
        {
            if (BitConverter.ToUInt32(image, (int)(table + i * size + 4)) == type)
            {
                return table + i * size;
            }
        }
        throw new InvalidOperationException($"No section of type 0x{type:x}.");
    }

    private static ulong ReadU64(byte[] image, long offset) => BitConverter.ToUInt64(image, (int)offset);

    private static void WriteU64(byte[] image, long offset, ulong value) => BitConverter.GetBytes(value).CopyTo(image, offset);

    private static void WriteU32(byte[] image, long offset, uint value) => BitConverter.GetBytes(value).CopyTo(image, offset);
}
