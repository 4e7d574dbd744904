using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Kernels.Cpu;
using Srt.TorchSharp.Tests.Generation;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Kernels;

[Collection(TorchSharpCollection.Name)]
public sealed class SmallRowLinearTests
{
    // Relative to Σ|x·w| of each output, the scale of any float32 summation's rounding error.
    private const double Float32Bound = 1e-5;

    public static TheoryData<int, int, int, bool> Shapes => new()
    {
        { 1, 1, 1, false }, { 1, 7, 3, true }, { 2, 8, 2, false }, { 3, 13, 33, true }, { 4, 64, 65, false },
        { 5, 129, 130, true }, { 7, 384, 128, false }, { 8, 384, 1000, true }, { 9, 100, 77, false }, { 13, 257, 31, true },
        { 16, 1152, 384, false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TryLinear_OddShapesAndTails_MatchesTorchWithinFloat32Rounding(int rows, int depth, int features, bool withBias)
    {
        using var scope = NewDisposeScope();
        using var threads = new TorchThreads(2);
        var generator = new Generator((ulong)(rows * 1000 + depth));
        var x = randn([rows, depth], generator: generator);
        var w = randn([features, depth], generator: generator);
        var b = withBias ? randn([features], generator: generator) : null;

        var kernel = SmallRowLinear.TryLinear(x, w, b);

        Assert.NotNull(kernel);
        Assert.Equal(new long[] { rows, features }, kernel.shape);
        var scale = matmul(x.abs().to(ScalarType.Float64), w.abs().to(ScalarType.Float64).t());
        var reference = nn.functional.linear(x.to(ScalarType.Float64), w.to(ScalarType.Float64), b?.to(ScalarType.Float64));
        var torchResult = nn.functional.linear(x, w, b);
        var kernelError = ((kernel.to(ScalarType.Float64) - reference).abs() / (scale + 1e-30)).max().item<double>();
        var versusTorch = ((kernel - torchResult).abs().to(ScalarType.Float64) / (scale + 1e-30)).max().item<double>();
        Assert.True(kernelError <= Float32Bound, $"kernel vs float64: {kernelError:e2} of Σ|x·w|");
        Assert.True(versusTorch <= Float32Bound, $"kernel vs torch: {versusTorch:e2} of Σ|x·w|");
    }

    [Fact]
    public void TryLinear_BatchedInput_EachRowBitwiseEqualToItAloneAndToOneThread()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        var x = randn([2, 5, 203], generator: generator);
        var w = randn([517, 203], generator: generator);
        Tensor batched, serial;
        using (new TorchThreads(2))
        {
            batched = SmallRowLinear.TryLinear(x, w)!;
        }
        using (new TorchThreads(1))
        {
            serial = SmallRowLinear.TryLinear(x, w)!;
        }

        Assert.Equal(new long[] { 2, 5, 517 }, batched.shape);
        Assert.True(batched.eq(serial).all().item<bool>());
        for (var row = 0; row < 5; row++)
        {
            var alone = SmallRowLinear.TryLinear(x[1, row].unsqueeze(0), w)!;
            Assert.True(alone[0].eq(batched[1, row]).all().item<bool>(), $"row {row} differs when computed alone");
        }
    }

    [Fact]
    public void TryLinear_OutsideItsDomain_DeclinesSoLibtorchRuns()
    {
        using var scope = NewDisposeScope();
        var w = randn(6, 8);
        var trained = randn(6, 8).requires_grad_();

        Assert.Null(SmallRowLinear.TryLinear(randn(17, 8), w)); // more rows than MaxRows
        Assert.Null(SmallRowLinear.TryLinear(randn(2, 8), trained)); // a gradient to record
        Assert.Null(SmallRowLinear.TryLinear(randn(2, 8, ScalarType.BFloat16), w.to(ScalarType.BFloat16)));
        Assert.Null(SmallRowLinear.TryLinear(randn(8, 2).t(), w)); // not contiguous
        Assert.Null(SmallRowLinear.TryLinear(randn(2, 7), w)); // input width is not the weight's
        Assert.Null(SmallRowLinear.TryLinear(randn(2, 8), w, randn(5))); // bias length is not the output width
        Assert.Null(SmallRowLinear.TryLinear(randn(2, 8), randn(6, 8, 1))); // weight not a matrix
        using (no_grad())
        {
            Assert.NotNull(SmallRowLinear.TryLinear(randn(2, 8), trained));
        }
    }

    [Theory]
    [InlineData(1, 7, 3, false)]
    [InlineData(8, 384, 1152, false)]
    [InlineData(5, 129, 1030, true)]
    public void TryGatedLinear_SwiGlu_MatchesFloat64Reference(int rows, int depth, int features, bool withBias)
    {
        using var scope = NewDisposeScope();
        using var threads = new TorchThreads(2);
        var generator = new Generator((ulong)(rows * 100 + features));
        var x = randn([rows, 1, depth], generator: generator);
        var (gate, up) = (randn([features, depth], generator: generator), randn([features, depth], generator: generator));
        var (gateBias, upBias) = withBias ? (randn([features], generator: generator), randn([features], generator: generator)) : (null, null);

        var kernel = SmallRowLinear.TryGatedLinear(x, gate, gateBias, up, upBias);

        Assert.NotNull(kernel);
        Assert.Equal(new long[] { rows, 1, features }, kernel.shape);
        var x64 = x.to(ScalarType.Float64);
        var g = nn.functional.linear(x64, gate.to(ScalarType.Float64), gateBias?.to(ScalarType.Float64));
        var u = nn.functional.linear(x64, up.to(ScalarType.Float64), upBias?.to(ScalarType.Float64));
        var reference = g * g.sigmoid() * u;
        // The products' rounding (relative to Σ|x·w|) carries through SiLU (slope ≤ 1.1) and the multiply.
        var scale = matmul(x64.abs(), gate.abs().to(ScalarType.Float64).t()) * matmul(x64.abs(), up.abs().to(ScalarType.Float64).t())
            + u.abs() * matmul(x64.abs(), gate.abs().to(ScalarType.Float64).t());
        var error = ((kernel.to(ScalarType.Float64) - reference).abs() / (scale + 1e-30)).max().item<double>();
        Assert.True(error <= 4 * Float32Bound, $"gated kernel vs float64: {error:e2}");
        // The same check sees the activation applied to the wrong product.
        var swapped = u * u.sigmoid() * g;
        Assert.True(((kernel.to(ScalarType.Float64) - swapped).abs() / (scale + 1e-30)).max().item<double>() > 100 * Float32Bound);
    }

    [Fact]
    public void TryGatedLinear_EachRowBitwiseEqualToItAloneAndToOneThread()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(6);
        var x = randn([7, 1, 96], generator: generator);
        var (gate, up) = (randn([203, 96], generator: generator), randn([203, 96], generator: generator));
        Tensor batched, serial;
        using (new TorchThreads(2))
        {
            batched = SmallRowLinear.TryGatedLinear(x, gate, null, up, null)!;
        }
        using (new TorchThreads(1))
        {
            serial = SmallRowLinear.TryGatedLinear(x, gate, null, up, null)!;
        }

        Assert.True(batched.eq(serial).all().item<bool>());
        for (var row = 0; row < 7; row++)
        {
            var alone = SmallRowLinear.TryGatedLinear(x[row].unsqueeze(0), gate, null, up, null)!;
            Assert.True(alone[0].eq(batched[row]).all().item<bool>(), $"row {row} differs when computed alone");
        }
    }

    [Fact]
    public void GenerateContinuous_Greedy_SameTokensWithAndWithoutTheKernel()
    {
        using var model = TinyChatModel.CreateModel();
        var generator = new TextGenerator(model, TinyChatModel.LoadTokenizer(), stopTokenIds: []);
        var random = new Random(3);
        var prompts = Enumerable.Range(0, 12)
            .Select(i => (IReadOnlyList<int>)Enumerable.Range(0, random.Next(1, 60)).Select(_ => random.Next(32, 127)).ToArray())
            .ToArray();
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = 40 };

        var withKernel = generator.GenerateContinuous(prompts, options, 8);
        SmallRowLinear.Enabled = false;
        GenerationOutput without;
        try
        {
            without = generator.GenerateContinuous(prompts, options, 8);
        }
        finally
        {
            SmallRowLinear.Enabled = true;
        }

        Assert.Equal(without.Sequences.Select(s => s.TokenIds), withKernel.Sequences.Select(s => s.TokenIds));
    }

    private sealed class TorchThreads : IDisposable
    {
        private readonly int _previous = get_num_threads();

        public TorchThreads(int threads) => set_num_threads(threads);

        public void Dispose() => set_num_threads(_previous);
    }
}
