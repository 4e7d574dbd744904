using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Loading;

/// <summary>Strict matching of a checkpoint folder against its config: errors name the file and the tensor.</summary>
[Collection(TorchSharpCollection.Name)]
public sealed class CheckpointValidationTests
{
    private static TemporaryFolder SavedModel(long? maxShardBytes = null)
    {
        var folder = new TemporaryFolder();
        using var model = TinyLlama.Create(TinyLlama.Config());
        model.SavePretrained(folder.Path, maxShardBytes);
        return folder;
    }

    private static CheckpointFormatException LoadFails(TemporaryFolder folder, string expectedFile, string expectedTensor)
    {
        var error = Assert.Throws<CheckpointFormatException>(() => LlamaForCausalLM.FromPretrained(folder.Path).Dispose());
        Assert.Equal(expectedFile, error.FilePath);
        Assert.Contains(expectedFile, error.Message);
        Assert.Equal(expectedTensor, error.TensorName);
        Assert.Contains($"'{expectedTensor}'", error.Message);
        return error;
    }

    [Fact]
    public void Load_ShapeMismatchAgainstConfig_NamesFileTensorAndShapes()
    {
        using var folder = SavedModel();
        var file = folder.File("model.safetensors");
        const string Name = "model.layers.1.self_attn.k_proj.weight";
        CheckpointFiles.Rewrite(file, tensors => tensors[tensors.FindIndex(t => t.Name == Name)] = (Name, zeros(32, 32)));
        var error = LoadFails(folder, file, Name);
        Assert.Contains("[32, 32]", error.Message);
        Assert.Contains("[16, 32]", error.Message);
    }

    [Fact]
    public void Load_MissingTensor_NamesFileAndTensor()
    {
        using var folder = SavedModel();
        var file = folder.File("model.safetensors");
        const string Name = "model.layers.1.mlp.up_proj.weight";
        CheckpointFiles.Rewrite(file, tensors => tensors.RemoveAll(t => t.Name == Name));
        Assert.Contains("missing", LoadFails(folder, file, Name).Message);
    }

    [Fact]
    public void Load_UnexpectedTensor_NamesFileAndTensor()
    {
        using var folder = SavedModel();
        var file = folder.File("model.safetensors");
        const string Name = "model.layers.0.self_attn.q_norm.weight";
        CheckpointFiles.Rewrite(file, tensors => tensors.Add((Name, ones(8))));
        Assert.Contains("unexpected", LoadFails(folder, file, Name).Message);
    }

    [Fact]
    public void Load_IntegerWeight_NamesFileAndTensor()
    {
        using var folder = SavedModel();
        var file = folder.File("model.safetensors");
        const string Name = "model.norm.weight";
        CheckpointFiles.Rewrite(file, tensors => tensors[tensors.FindIndex(t => t.Name == Name)] = (Name, ones([32], ScalarType.Int32)));
        Assert.Contains("I32", LoadFails(folder, file, Name).Message);
    }

    [Fact]
    public void Load_MissingShard_NamesShardFileAndTensor()
    {
        using var folder = SavedModel(maxShardBytes: 20_000);
        var shard = Directory.GetFiles(folder.Path, "model-00002-of-*.safetensors").Single();
        File.Delete(shard);
        var error = Assert.Throws<CheckpointFormatException>(() => LlamaForCausalLM.FromPretrained(folder.Path).Dispose());
        Assert.Equal(shard, error.FilePath);
        Assert.Contains(Path.GetFileName(shard), error.Message);
        Assert.NotNull(error.TensorName);
        Assert.Contains($"'{error.TensorName}'", error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void Load_ShardWithoutMappedTensor_NamesShardAndTensor()
    {
        using var folder = SavedModel(maxShardBytes: 20_000);
        var shard = Directory.GetFiles(folder.Path, "model-00001-of-*.safetensors").Single();
        string removed = "";
        CheckpointFiles.Rewrite(shard, tensors => { removed = tensors[^1].Name; tensors.RemoveAt(tensors.Count - 1); });
        LoadFails(folder, shard, removed);
    }

    [Fact]
    public void Load_CorruptShardHeader_NamesShard()
    {
        using var folder = SavedModel(maxShardBytes: 20_000);
        var shard = Directory.GetFiles(folder.Path, "model-00002-of-*.safetensors").Single();
        using (var stream = new FileStream(shard, FileMode.Open))
        {
            stream.SetLength(stream.Length - 1);
        }
        var error = Assert.Throws<CheckpointFormatException>(() => LlamaForCausalLM.FromPretrained(folder.Path).Dispose());
        Assert.Equal(shard, error.FilePath);
        Assert.NotNull(error.TensorName);
    }

    [Fact]
    public void Load_NoWeights_ThrowsNamingFolder()
    {
        using var folder = SavedModel();
        File.Delete(folder.File("model.safetensors"));
        var error = Assert.Throws<FileNotFoundException>(() => LlamaForCausalLM.FromPretrained(folder.Path).Dispose());
        Assert.Contains(folder.Path, error.Message);
    }
}
