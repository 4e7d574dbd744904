using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Tests.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Loading;

/// <summary>Every malformed-file case fails at open with an error naming the file (and the tensor when one is to blame).</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class SafetensorsValidationTests
{
    private static CheckpointFormatException OpenFails(string path)
    {
        var error = Assert.Throws<CheckpointFormatException>(() => SafetensorsReader.Open(path).Dispose());
        Assert.Contains(path, error.Message);
        Assert.Equal(path, error.FilePath);
        return error;
    }

    [Fact]
    public void Open_TruncatedData_NamesFileAndTensor()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("t.safetensors");
        SafetensorsWriter.Write(path, [("first", ones(4)), ("last.weight", ones(8))]);
        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(stream.Length - 5);
        }
        var error = OpenFails(path);
        Assert.Equal("last.weight", error.TensorName);
        Assert.Contains("'last.weight'", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Open_HeaderLengthBeyondFile_NamesFile()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("h.safetensors");
        CheckpointFiles.WriteRaw(path, "{}", 0, declaredHeaderLength: 1_000_000);
        var error = OpenFails(path);
        Assert.Contains("exceeds the file", error.Message);
    }

    [Fact]
    public void Open_HeaderLengthAbsurd_RejectedBeforeAllocating()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("big.safetensors");
        using (var stream = File.Create(path))
        {
            stream.Write(BitConverter.GetBytes(150UL * 1024 * 1024));
            stream.SetLength(200L * 1024 * 1024); // sparse: costs no disk
        }
        var error = OpenFails(path);
        Assert.Contains("limit", error.Message);
    }

    [Fact]
    public void Open_FileShorterThanPrefix_NamesFile()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("too short", OpenFails(path).Message);
    }

    [Fact]
    public void Open_OverlappingOffsets_NamesBothTensors()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("o.safetensors");
        CheckpointFiles.WriteRaw(path, """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 16);
        var error = OpenFails(path);
        Assert.Equal("b", error.TensorName);
        Assert.Contains("overlap", error.Message);
        Assert.Contains("'a'", error.Message);
    }

    [Theory]
    [InlineData("[100,108]", 16, "past the end")]
    [InlineData("[8,0]", 16, "not a valid range")]
    [InlineData("[-8,0]", 16, "not a valid range")]
    public void Open_OffsetsOutOfRange_NamesFileAndTensor(string offsets, int dataBytes, string expected)
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("r.safetensors");
        CheckpointFiles.WriteRaw(path, """{"w.weight":{"dtype":"F32","shape":[2],"data_offsets":""" + offsets + "}}", dataBytes);
        var error = OpenFails(path);
        Assert.Equal("w.weight", error.TensorName);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Open_UnknownDtype_NamesDtypeTensorAndFile()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("d.safetensors");
        CheckpointFiles.WriteRaw(path, """{"__metadata__":{"format":"pt"},"q.weight":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}""", 2);
        var error = OpenFails(path);
        Assert.Equal("q.weight", error.TensorName);
        Assert.Contains("F8_E4M3", error.Message);
    }

    [Theory]
    [InlineData("""{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "needs 12")]
    [InlineData("""{"x":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}""", "too large")]
    [InlineData("""{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}""", "non-negative")]
    [InlineData("""{"x":{"dtype":"F32","data_offsets":[0,8]}}""", "'shape'")]
    [InlineData("""{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"x":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", "twice")]
    public void Open_BadEntry_NamesTensor(string header, string expected)
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("e.safetensors");
        CheckpointFiles.WriteRaw(path, header, 16);
        var error = OpenFails(path);
        Assert.Equal("x", error.TensorName);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Open_HeaderNotJson_NamesFile()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("j.safetensors");
        CheckpointFiles.WriteRaw(path, "{not json", 0);
        Assert.Contains("not valid JSON", OpenFails(path).Message);
    }
}
