using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels.Cuda;

/// <summary>Hugging Face style rotary tables: [seq, dim], the first half's angles repeated in the second half.</summary>
internal static class RotaryTables
{
    public static (Tensor Cos, Tensor Sin) Create(int seq, int dim, double theta = 10000.0)
    {
        var cos = new double[seq * dim];
        var sin = new double[seq * dim];
        for (var t = 0; t < seq; t++)
        {
            for (var j = 0; j < dim; j++)
            {
                var angle = t * Math.Pow(theta, -2.0 * (j % (dim / 2)) / dim);
                cos[t * dim + j] = Math.Cos(angle);
                sin[t * dim + j] = Math.Sin(angle);
            }
        }

        return (tensor(cos, new long[] { seq, dim }, ScalarType.Float64), tensor(sin, new long[] { seq, dim }, ScalarType.Float64));
    }
}
