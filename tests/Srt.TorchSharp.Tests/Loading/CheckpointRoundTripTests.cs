using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Loading;

[Collection(TorchSharpCollection.Name)]
public sealed class CheckpointRoundTripTests
{
    internal static void AssertBitwiseEqual(LlamaForCausalLM expected, LlamaForCausalLM actual)
    {
        var actualByName = actual.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal(expected.NamedParameters().Select(p => p.Name).Order(), actualByName.Keys.Order());
        foreach (var (name, parameter) in expected.NamedParameters())
        {
            var other = actualByName[name];
            Assert.Equal(parameter.dtype, other.dtype);
            Assert.Equal(parameter.shape, other.shape);
            Assert.True(parameter.bytes.SequenceEqual(other.bytes), $"{name} differs after the round trip");
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32, "gqa")]
    [InlineData(ScalarType.BFloat16, "gqa")]
    [InlineData(ScalarType.Float32, "qwen2")]
    [InlineData(ScalarType.BFloat16, "llama3")]
    public void SaveThenLoad_IsBitwiseExact(ScalarType dtype, string variant)
    {
        using var folder = new TemporaryFolder();
        using var original = TinyLlama.Create(LlamaForCausalLMTests.VariantConfig(variant), dtype);
        original.SavePretrained(folder.Path);
        using var loaded = LlamaForCausalLM.FromPretrained(folder.Path, new ModelLoadOptions { DType = dtype });
        AssertBitwiseEqual(original, loaded);
        Assert.Equal(original.Config.RopeScaling, loaded.Config.RopeScaling);
        Assert.Equal(original.Config.HasQkvBias, loaded.Config.HasQkvBias);

        using var reader = SafetensorsReader.Open(folder.File("model.safetensors"));
        Assert.Equal("pt", reader.Metadata["format"]);
        Assert.All(reader.Tensors, t => Assert.Equal(dtype == ScalarType.BFloat16 ? "BF16" : "F32", t.DType));
        Assert.Contains(dtype == ScalarType.BFloat16 ? "\"bfloat16\"" : "\"float32\"", File.ReadAllText(folder.File("config.json")));

        using var noGrad = no_grad();
        using var ids = TinyLlama.Ids([1, 5, 9, 13]);
        using var before = original.Forward(ids);
        using var after = loaded.Forward(ids);
        Assert.Equal(0f, TinyLlama.MaxAbsDifference(before, after));
    }

    [Fact]
    public void SaveSharded_ThenLoad_IsBitwiseExactAndWritesIndex()
    {
        using var folder = new TemporaryFolder();
        using var original = TinyLlama.Create(TinyLlama.Config());
        original.SavePretrained(folder.Path, maxShardBytes: 20_000);
        var shards = Directory.GetFiles(folder.Path, "model-*-of-*.safetensors");
        Assert.True(shards.Length > 2, $"expected several shards, got {shards.Length}");
        Assert.False(File.Exists(folder.File("model.safetensors")));
        var index = File.ReadAllText(folder.File("model.safetensors.index.json"));
        Assert.Contains("\"total_size\"", index);
        Assert.Contains("\"model.layers.1.mlp.down_proj.weight\"", index);
        using var loaded = LlamaForCausalLM.FromPretrained(folder.Path);
        AssertBitwiseEqual(original, loaded);
    }

    [Fact]
    public void Load_Float32FileAsBfloat16_CastsLikeTo()
    {
        using var folder = new TemporaryFolder();
        using var original = TinyLlama.Create(TinyLlama.Config());
        original.SavePretrained(folder.Path);
        using var loaded = LlamaForCausalLM.FromPretrained(folder.Path, new ModelLoadOptions { DType = ScalarType.BFloat16 });
        Assert.Equal(ScalarType.BFloat16, loaded.DType);
        original.To(CPU, ScalarType.BFloat16);
        AssertBitwiseEqual(original, loaded);
    }

    [Fact]
    public void Load_TiedModelFileWithLmHeadAndInvFreq_IgnoresThem()
    {
        using var folder = new TemporaryFolder();
        using var original = TinyLlama.Create(TinyLlama.Config(tied: true));
        original.SavePretrained(folder.Path);
        using (var reader = SafetensorsReader.Open(folder.File("model.safetensors")))
        {
            Assert.DoesNotContain(reader.Tensors, t => t.Name == "lm_head.weight");
        }
        CheckpointFiles.Rewrite(folder.File("model.safetensors"), tensors =>
        {
            tensors.Add(("lm_head.weight", zeros(97, 32)));
            tensors.Add(("model.layers.0.self_attn.rotary_emb.inv_freq", ones(4)));
        });
        using var loaded = LlamaForCausalLM.FromPretrained(folder.Path);
        AssertBitwiseEqual(original, loaded);
    }

    [Fact]
    public void Writer_ThenReader_RoundTripsEveryDtype()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("all.safetensors");
        (string, Tensor)[] tensors =
        [
            ("f64", randn(3, 2, ScalarType.Float64)), ("f32", randn(5)), ("f16", randn(2, 2).to(ScalarType.Float16)),
            ("bf16", randn(4, 1).to(ScalarType.BFloat16)), ("i64", tensor(new long[] { -1, long.MaxValue })),
            ("i32", tensor(new[] { 7, -8, 9 })), ("i16", tensor(new short[] { -3, 4 })), ("i8", tensor(new sbyte[] { -5 })),
            ("u8", tensor(new byte[] { 250, 3 })), ("bool", tensor(new[] { true, false, true })), ("scalar", tensor(2.5f)),
            ("empty", zeros(0, 3)),
        ];
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["note"] = "x" });
        using var reader = SafetensorsReader.Open(path);
        Assert.Equal("x", reader.Metadata["note"]);
        Assert.Equal(tensors.Select(t => t.Item1), reader.Tensors.Select(t => t.Name));
        foreach (var (name, expected) in tensors)
        {
            using var actual = reader.ReadTensor(name);
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.bytes.SequenceEqual(actual.bytes), name);
        }
        using var cast = reader.ReadTensor("bf16", ScalarType.Float32);
        Assert.Equal(ScalarType.Float32, cast.dtype);
    }
}
