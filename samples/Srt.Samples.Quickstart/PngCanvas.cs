using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Srt.Samples.Quickstart;

/// <summary>
/// A tiny RGB raster with lines, rectangles and a 3×5 pixel font, saved as PNG (zlib through
/// <see cref="ZLibStream"/>, CRC-32 computed here): enough for the quickstart's chart without a plotting package.
/// </summary>
internal sealed class PngCanvas
{
    // Glyphs of the 3×5 font: five rows of three pixels, '1' = ink.
    private static readonly Dictionary<char, string> Glyphs = new()
    {
        ['0'] = "111101101101111", ['1'] = "010110010010111", ['2'] = "111001111100111", ['3'] = "111001111001111",
        ['4'] = "101101111001001", ['5'] = "111100111001111", ['6'] = "111100111101111", ['7'] = "111001001001001",
        ['8'] = "111101111101111", ['9'] = "111101111001111", ['A'] = "010101111101101", ['B'] = "110101110101110",
        ['C'] = "011100100100011", ['D'] = "110101101101110", ['E'] = "111100110100111", ['F'] = "111100110100100",
        ['G'] = "011100101101011", ['H'] = "101101111101101", ['I'] = "111010010010111", ['J'] = "001001001101010",
        ['K'] = "101101110101101", ['L'] = "100100100100111", ['M'] = "101111111101101", ['N'] = "110101101101101",
        ['O'] = "010101101101010", ['P'] = "110101110100100", ['Q'] = "010101101110011", ['R'] = "110101110101101",
        ['S'] = "011100010001110", ['T'] = "111010010010010", ['U'] = "101101101101111", ['V'] = "101101101101010",
        ['W'] = "101101111111101", ['X'] = "101101010101101", ['Y'] = "101101010010010", ['Z'] = "111001010100111",
        ['%'] = "101001010100101", ['.'] = "000000000000010", ['-'] = "000000111000000", [':'] = "000010000010000",
        ['('] = "010100100100010", [')'] = "010001001001010", ['/'] = "001001010100100", ['+'] = "000010111010000",
        [' '] = "000000000000000",
    };

    private static readonly uint[] CrcTable = BuildCrcTable();
    private readonly byte[] _pixels;

    public PngCanvas(int width, int height, (byte R, byte G, byte B) background)
    {
        Width = width;
        Height = height;
        _pixels = new byte[width * height * 3];
        FillRectangle(0, 0, width, height, background);
    }

    public int Width { get; }

    public int Height { get; }

    public void SetPixel(int x, int y, (byte R, byte G, byte B) color)
    {
        if ((uint)x < (uint)Width && (uint)y < (uint)Height)
        {
            int at = ((y * Width) + x) * 3;
            (_pixels[at], _pixels[at + 1], _pixels[at + 2]) = color;
        }
    }

    public void FillRectangle(int x, int y, int width, int height, (byte R, byte G, byte B) color)
    {
        for (int row = y; row < y + height; row++)
        {
            for (int column = x; column < x + width; column++)
            {
                SetPixel(column, row, color);
            }
        }
    }

    /// <summary>Draws a line <paramref name="thickness"/> pixels wide (Bresenham, stamped with a square).</summary>
    public void Line(double x0, double y0, double x1, double y1, (byte R, byte G, byte B) color, int thickness = 1)
    {
        int steps = (int)Math.Ceiling(Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0))) + 1;
        for (int i = 0; i <= steps; i++)
        {
            double t = (double)i / steps;
            int x = (int)Math.Round(x0 + ((x1 - x0) * t)), y = (int)Math.Round(y0 + ((y1 - y0) * t));
            FillRectangle(x - (thickness / 2), y - (thickness / 2), thickness, thickness, color);
        }
    }

    /// <summary>Writes upper-cased text with its top-left corner at (x, y); each font pixel is <paramref name="scale"/> pixels.</summary>
    public void Text(int x, int y, string text, (byte R, byte G, byte B) color, int scale = 2)
    {
        foreach (char character in text.ToUpperInvariant())
        {
            string glyph = Glyphs.GetValueOrDefault(character, Glyphs[' ']);
            for (int i = 0; i < 15; i++)
            {
                if (glyph[i] == '1')
                {
                    FillRectangle(x + (i % 3 * scale), y + (i / 3 * scale), scale, scale, color);
                }
            }

            x += 4 * scale;
        }
    }

    /// <summary>The width in pixels of <paramref name="text"/> at <paramref name="scale"/>.</summary>
    public static int TextWidth(string text, int scale = 2) => Math.Max(0, (text.Length * 4 * scale) - scale);

    public void Save(string path)
    {
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Height);
        header[8] = 8; // bits per channel
        header[9] = 2; // truecolour RGB; compression, filter and interlace stay 0
        WriteChunk(file, "IHDR", header);
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < Height; y++)
            {
                zlib.WriteByte(0); // filter type None for each scanline
                zlib.Write(_pixels, y * Width * 3, Width * 3);
            }
        }

        WriteChunk(file, "IDAT", compressed.ToArray());
        WriteChunk(file, "IEND", []);
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        stream.Write(number);
        byte[] typeBytes = Encoding.ASCII.GetBytes(type);
        stream.Write(typeBytes);
        stream.Write(data);
        uint crc = Crc32(Crc32(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(number, crc);
        stream.Write(number);
    }

    private static uint Crc32(uint crc, byte[] data)
    {
        foreach (byte b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
