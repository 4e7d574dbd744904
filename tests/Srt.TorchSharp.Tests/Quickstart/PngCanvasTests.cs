using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Srt.Samples.Quickstart;

namespace Srt.TorchSharp.Tests.Quickstart;

public sealed class PngCanvasTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "srt-png-" + Guid.NewGuid().ToString("N") + ".png");

    [Fact]
    public void Save_SmallCanvas_WritesValidChunksAndPixels()
    {
        var canvas = new PngCanvas(5, 3, (255, 255, 255));
        canvas.SetPixel(1, 2, (10, 20, 30));

        canvas.Save(_path);

        byte[] file = File.ReadAllBytes(_path);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, file[..8]);
        var chunks = new List<string>();
        byte[]? idat = null;
        for (int at = 8; at < file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            byte[] typeAndData = file[(at + 4)..(at + 8 + length)];
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at + 8 + length));
            Assert.Equal(ReferenceCrc32(typeAndData), crc);
            string type = Encoding.ASCII.GetString(typeAndData, 0, 4);
            chunks.Add(type);
            idat = type == "IDAT" ? typeAndData[4..] : idat;
            at += 12 + length;
        }

        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks);
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(idat!), CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        byte[] rows = inflated.ToArray();
        Assert.Equal(3 * (1 + (5 * 3)), rows.Length);
        int pixel = (2 * 16) + 1 + (1 * 3);
        Assert.Equal(new byte[] { 10, 20, 30 }, rows[pixel..(pixel + 3)]);
        Assert.Equal(255, rows[1]);
    }

    public void Dispose() => File.Delete(_path);

    // Bit-by-bit CRC-32 (IEEE), independent of the table the canvas uses.
    private static uint ReferenceCrc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
