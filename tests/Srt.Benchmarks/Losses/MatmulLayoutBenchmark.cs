using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Losses;

/// <summary>
/// <c>matmul</c>: CPU time of the three matmul layouts a linear layer and the fused loss use, per dtype: the forward
/// <c>x · Wᵀ</c>, the input gradient <c>g · W</c> and the weight gradient <c>gᵀ · x</c>, with <c>W</c> stored
/// [out, in] as in <c>nn.Linear</c>. It shows whether a dtype is usable on this CPU: libtorch runs bf16 matmuls
/// through oneDNN only on CPUs with AVX-512 BF16 (or AMX) and otherwise through a reference loop.
/// </summary>
/// <remarks>Options: <c>--rows 256</c>, <c>--size 2048</c> (W is size × size), <c>--threads 2</c>, <c>--repeats 3</c>, <c>--dtype float32,bfloat16</c>.</remarks>
internal sealed class MatmulLayoutBenchmark : IBenchmark
{
    public string Name => "matmul";

    public string Description => "CPU time of x·Wᵀ, g·W and gᵀ·x per dtype (is bf16 usable on this CPU?)";

    public int Run(string[] args, TextWriter output)
    {
        var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
        int Int(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int rows = Int("rows", 256), size = Int("size", 2048), repeats = Int("repeats", 3);
        torch.set_num_threads(Int("threads", 2));
        string[] dtypes = (options.TryGetValue("dtype", out var d) ? d : "float32,bfloat16").Split(',');

        foreach (string dtypeName in dtypes)
        {
            var dtype = dtypeName switch
            {
                "float32" => ScalarType.Float32,
                "bfloat16" => ScalarType.BFloat16,
                "float16" => ScalarType.Float16,
                _ => throw new ArgumentException($"--dtype must list float32, bfloat16 or float16, not '{dtypeName}'."),
            };
            using var scope = torch.NewDisposeScope();
            var generator = new Generator(1234);
            var x = torch.randn([rows, size], generator: generator).to(dtype);
            var w = torch.randn([size, size], generator: generator).to(dtype);
            var layouts = new (string Name, Func<Tensor> Product)[]
            {
                ("x*W^T (forward)", () => x.mm(w.t())),
                ("g*W (input gradient)", () => x.mm(w)),
                ("g^T*x (weight gradient)", () => x.t().mm(x)),
            };
            foreach (var (layout, product) in layouts)
            {
                product().Dispose(); // warm-up
                var times = new List<double>();
                for (int i = 0; i < repeats; i++)
                {
                    var watch = Stopwatch.StartNew();
                    product().Dispose();
                    times.Add(watch.Elapsed.TotalMilliseconds);
                }

                double median = Statistics.Median(times);
                double flops = 2.0 * rows * size * size;
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    bench = "matmul",
                    dtype = dtypeName,
                    layout,
                    rows,
                    size,
                    time_ms_median = Math.Round(median, 1),
                    gflops = Math.Round(flops / median / 1e6, 2),
                    repeats,
                }));
                output.Flush();
            }
        }

        return 0;
    }
}
