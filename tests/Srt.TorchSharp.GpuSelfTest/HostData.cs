namespace Srt.TorchSharp.GpuSelfTest;

/// <summary>Host-side values, random inputs, and bfloat16 rounding for the self-test.</summary>
internal static class HostData
{
    /// <summary>float -> bfloat16 bits, round to nearest even (what the kernels and PyTorch do).</summary>
    public static ushort ToBf16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7fffffffu) > 0x7f800000u)
        {
            return 0x7fc0;
        }

        bits += 0x7fffu + ((bits >> 16) & 1u);
        return (ushort)(bits >> 16);
    }

    public static float FromBf16(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Fresh normal(0, scale) values, drawn in parallel from a new seed each call; rounded to bf16 if asked.</summary>
    public static float[] Random(long count, double scale, bool roundToBf16)
    {
        var values = new float[count];
        const int chunk = 1 << 16;
        var chunks = (int)((count + chunk - 1) / chunk);
        var seed = System.Random.Shared.Next();
        Parallel.For(0, chunks, c =>
        {
            var random = new Random(HashCode.Combine(seed, c));
            var end = Math.Min(count, ((long)c + 1) * chunk);
            for (var i = (long)c * chunk; i < end; i++)
            {
                // Box-Muller; one of the pair is enough here.
                var u1 = 1.0 - random.NextDouble();
                var u2 = random.NextDouble();
                var v = (float)(scale * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
                values[i] = roundToBf16 ? FromBf16(ToBf16(v)) : v;
            }
        });
        return values;
    }

    /// <summary>‖actual − expected‖ / ‖expected‖ in float64; NaN or infinity anywhere gives +∞.</summary>
    public static double RelativeError(float[] actual, double[] expected)
    {
        if (actual.Length != expected.Length)
        {
            throw new ArgumentException($"length {actual.Length} != {expected.Length}");
        }

        const int chunk = 1 << 16;
        var chunks = (actual.Length + chunk - 1) / chunk;
        var diff = new double[chunks];
        var norm = new double[chunks];
        var bad = 0;
        Parallel.For(0, chunks, c =>
        {
            double d = 0, n = 0;
            var end = Math.Min(actual.Length, (c + 1) * chunk);
            for (var i = c * chunk; i < end; i++)
            {
                if (!float.IsFinite(actual[i]))
                {
                    Interlocked.Exchange(ref bad, 1);
                    return;
                }

                var e = actual[i] - expected[i];
                d += e * e;
                n += expected[i] * expected[i];
            }

            diff[c] = d;
            norm[c] = n;
        });
        if (bad != 0)
        {
            return double.PositiveInfinity;
        }

        var denominator = Math.Sqrt(norm.Sum());
        return denominator == 0 ? Math.Sqrt(diff.Sum()) : Math.Sqrt(diff.Sum()) / denominator;
    }
}
