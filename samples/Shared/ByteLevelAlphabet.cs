namespace Srt.Samples;

/// <summary>
/// GPT-2's printable stand-ins for the 256 byte values, as byte-level BPE vocabularies spell them. Linked into each
/// sample that writes its own tiny tokenizer (samples/Shared).
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>Returns the character that stands for each byte value, indexed by the byte.</summary>
    public static char[] Characters()
    {
        var chars = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            chars[b] = printable ? (char)b : (char)next++;
        }

        return chars;
    }
}
