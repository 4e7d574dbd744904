using static TorchSharp.torch;

namespace Srt.TorchSharp.Loading;

/// <summary>The safetensors dtype codes this library reads and writes, with their torch types and sizes.</summary>
internal static class SafetensorsDType
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> ByCode = new(StringComparer.Ordinal)
    {
        ["F64"] = (ScalarType.Float64, 8),
        ["F32"] = (ScalarType.Float32, 4),
        ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2),
        ["I64"] = (ScalarType.Int64, 8),
        ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2),
        ["I8"] = (ScalarType.Int8, 1),
        ["U8"] = (ScalarType.Byte, 1),
        ["BOOL"] = (ScalarType.Bool, 1),
    };

    public static bool TryGet(string code, out ScalarType type, out int size)
    {
        var found = ByCode.TryGetValue(code, out var entry);
        (type, size) = entry;
        return found;
    }

    public static ScalarType ToScalarType(string code) => ByCode[code].Type;

    public static string ToCode(ScalarType type)
    {
        foreach (var (code, entry) in ByCode)
        {
            if (entry.Type == type)
            {
                return code;
            }
        }
        throw new NotSupportedException($"safetensors has no dtype code for {type}.");
    }

    public static bool IsFloatingPoint(string code) => code is "F64" or "F32" or "F16" or "BF16";

    public static string SupportedList => string.Join(", ", ByCode.Keys);
}
