using System.Text;

namespace Srt.TorchSharp.Loading.Tokenizers;

/// <summary>The piece kinds of SentencePiece's <c>ModelProto</c> (sentencepiece_model.proto).</summary>
internal enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>One vocabulary entry of a SentencePiece model.</summary>
internal readonly record struct SentencePieceEntry(string Piece, SentencePieceType Type, float Score = 0f);

/// <summary>
/// Reads just the piece list (text, type and score) out of a SentencePiece <c>tokenizer.model</c> protobuf, which
/// ML.Tokenizers does not expose: Srt needs the CONTROL pieces to match them in template markup, and the scores and
/// USER_DEFINED pieces to run SentencePiece's BPE itself.
/// Every length is checked against the buffer, so a corrupt file gives an error, never a huge allocation.
/// </summary>
internal static class SentencePieceModelReader
{
    public static List<SentencePieceEntry> ReadPieces(byte[] data, string fileName)
    {
        var entries = new List<SentencePieceEntry>();
        int position = 0;
        while (position < data.Length)
        {
            var (field, wireType) = ReadTag(data, ref position, fileName);
            if (field == 1 && wireType == 2)
            {
                int length = ReadLength(data, ref position, fileName);
                entries.Add(ReadPiece(data.AsSpan(position, length), fileName, entries.Count));
                position += length;
            }
            else
            {
                Skip(data, ref position, wireType, fileName);
            }
        }

        if (entries.Count == 0)
        {
            throw new InvalidDataException($"'{fileName}' holds no SentencePiece pieces (field 1 of ModelProto); it is not a SentencePiece model.");
        }

        return entries;
    }

    private static SentencePieceEntry ReadPiece(ReadOnlySpan<byte> message, string fileName, int index)
    {
        byte[] copy = message.ToArray();
        string? piece = null;
        var type = SentencePieceType.Normal;
        float score = 0f;
        int position = 0;
        while (position < copy.Length)
        {
            var (field, wireType) = ReadTag(copy, ref position, fileName);
            if (field == 1 && wireType == 2)
            {
                int length = ReadLength(copy, ref position, fileName);
                piece = Encoding.UTF8.GetString(copy, position, length);
                position += length;
            }
            else if (field == 2 && wireType == 5)
            {
                if (copy.Length - position < 4)
                {
                    throw new InvalidDataException($"'{fileName}' is truncated: the score of SentencePiece piece #{index} runs past its end.");
                }

                score = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(copy.AsSpan(position, 4));
                position += 4;
            }
            else if (field == 3 && wireType == 0)
            {
                type = (SentencePieceType)(int)ReadVarint(copy, ref position, fileName);
            }
            else
            {
                Skip(copy, ref position, wireType, fileName);
            }
        }

        return new SentencePieceEntry(
            piece ?? throw new InvalidDataException($"'{fileName}': SentencePiece piece #{index} has no text."),
            type,
            score);
    }

    private static (int Field, int WireType) ReadTag(byte[] data, ref int position, string fileName)
    {
        ulong tag = ReadVarint(data, ref position, fileName);
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    private static int ReadLength(byte[] data, ref int position, string fileName)
    {
        ulong length = ReadVarint(data, ref position, fileName);
        if (length > (ulong)(data.Length - position))
        {
            throw new InvalidDataException($"'{fileName}' is truncated or corrupt: a field of {length} bytes runs past the end of the file at byte {position}.");
        }

        return (int)length;
    }

    private static ulong ReadVarint(byte[] data, ref int position, string fileName)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                throw new InvalidDataException($"'{fileName}' is truncated or corrupt: a varint runs past the end of the file.");
            }

            byte b = data[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new InvalidDataException($"'{fileName}' is corrupt: a varint is longer than 10 bytes at byte {position}.");
    }

    private static void Skip(byte[] data, ref int position, int wireType, string fileName)
    {
        int size = wireType switch
        {
            0 => -1,
            1 => 8,
            2 => ReadLength(data, ref position, fileName),
            5 => 4,
            _ => throw new InvalidDataException($"'{fileName}' is not a SentencePiece model: unknown protobuf wire type {wireType} at byte {position}."),
        };
        if (size < 0)
        {
            ReadVarint(data, ref position, fileName);
            return;
        }

        if (size > data.Length - position)
        {
            throw new InvalidDataException($"'{fileName}' is truncated: a field runs past the end of the file at byte {position}.");
        }

        position += size;
    }
}
