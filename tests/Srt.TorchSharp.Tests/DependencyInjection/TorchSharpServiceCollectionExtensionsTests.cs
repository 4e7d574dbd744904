using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Tests.Training;
using Srt.TorchSharp.Training;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.DependencyInjection;

[Collection(TorchSharpCollection.Name)]
public sealed class TorchSharpServiceCollectionExtensionsTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public TorchSharpServiceCollectionExtensionsTests() => TrainingFixtures.WriteModelFolder(_folder.Path);

    public void Dispose() => _folder.Dispose();

    private ServiceProvider Provider(Action<TorchSharpModelBuilder>? roles = null)
    {
        var services = new ServiceCollection();
        var model = services.AddTorchSharpModel(_folder.Path, options => options.ChatTemplateName = "chatml");
        if (roles is null)
        {
            model.AddPolicy(policy => policy.BatchSize = 2).AddTrainer(Small, Small);
        }
        else
        {
            roles(model);
        }

        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public void AddTorchSharpModel_PolicyAndTrainer_ResolveOneSharedModel()
    {
        using var provider = Provider();

        var model = provider.GetRequiredService<CausalLanguageModel>();
        var policy = provider.GetRequiredService<IPolicyModel>();
        var trainer = provider.GetRequiredService<ITrainer>();

        Assert.Same(provider.GetRequiredService<TorchSharpPolicyModel>(), policy);
        Assert.Same(provider.GetRequiredService<TorchSharpTrainer>(), trainer);
        Assert.Same(model, ((TorchSharpPolicyModel)policy).Model);
        Assert.Same(model.Model, ((TorchSharpTrainer)trainer).Model);
        Assert.Equal(Path.GetFileName(_folder.Path), model.ModelId);
    }

    [Fact]
    public async Task ResolvedTrainer_TrainsSupervised_ChangesWhatResolvedPolicyComputes()
    {
        using var provider = Provider();
        var policy = (TorchSharpPolicyModel)provider.GetRequiredService<IPolicyModel>();
        IReadOnlyList<IReadOnlyList<ChatMessage>> prompts = [[new ChatMessage(ChatRole.User, "Repeat: ao")]];
        var greedy = new GenerationOptions { Temperature = 0, MaxNewTokens = 8 };
        float[] before = TrainingFixtures.ProbeLogits(policy.Model.Model);
        string answerBefore = (await policy.GenerateAsync(prompts, greedy))[0].Text;

        var trainer = provider.GetRequiredService<ITrainer>();
        TrainingResult result = await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()));

        float[] after = TrainingFixtures.ProbeLogits(policy.Model.Model);
        string answerAfter = (await policy.GenerateAsync(prompts, greedy))[0].Text;
        Assert.Equal(8, result.Steps);
        Assert.True(before.Zip(after, (a, b) => Math.Abs(a - b)).Max() > 1e-3, "training through the resolved trainer should change the policy's logits");
        Assert.NotEqual(answerBefore, answerAfter);
    }

    [Fact]
    public void DisposingProvider_DisposesTheModel()
    {
        Tensor weight;
        using (var provider = Provider())
        {
            _ = provider.GetRequiredService<IPolicyModel>();
            _ = provider.GetRequiredService<ITrainer>();
            weight = provider.GetRequiredService<CausalLanguageModel>().Model.Parameters().First();
            Assert.False(weight.IsInvalid);
        }

        Assert.True(weight.IsInvalid);
    }

    [Fact]
    public void AddTorchSharpModel_NothingResolved_DoesNotLoadTheWeights()
    {
        int loads = 0;
        var services = new ServiceCollection();
        services.AddTorchSharpModel(_ =>
        {
            loads++;
            return CausalLanguageModel.FromPretrained(_folder.Path, chatTemplateName: "chatml");
        }).AddPolicy().AddTrainer();

        using (var provider = services.BuildServiceProvider())
        {
            Assert.Equal(0, loads);
            Assert.Same(provider.GetRequiredService<ITrainer>(), provider.GetRequiredService<ITrainer>());
            _ = provider.GetRequiredService<IPolicyModel>();
        }

        Assert.Equal(1, loads);
    }

    [Fact]
    public void AddTorchSharpModel_MissingFolder_ThrowsNamingThePath()
    {
        string missing = Path.Combine(_folder.Path, "no-such-model");

        var error = Assert.Throws<DirectoryNotFoundException>(() => new ServiceCollection().AddTorchSharpModel(missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTorchSharpModel_FolderWithoutConfigJson_ThrowsNamingThePath()
    {
        string empty = Path.Combine(_folder.Path, "empty");
        Directory.CreateDirectory(empty);

        var error = Assert.Throws<FileNotFoundException>(() => new ServiceCollection().AddTorchSharpModel(empty));

        Assert.Contains(empty, error.Message, StringComparison.Ordinal);
        Assert.Contains("config.json", error.Message, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(empty, "config.json"), error.FileName);
    }

    [Fact]
    public void AddPolicyAndAddTrainer_InvalidSettings_ThrowAtRegistration()
    {
        var model = new ServiceCollection().AddTorchSharpModel(_folder.Path);

        var policyError = Assert.Throws<ArgumentException>(() => model.AddPolicy(policy => policy.BatchSize = 0));
        var trainerError = Assert.Throws<ArgumentException>(() => model.AddTrainer(configurePreference: preference => preference.Epochs = 0));

        Assert.Contains("BatchSize", policyError.Message, StringComparison.Ordinal);
        Assert.Contains("Epochs", trainerError.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(model.Services, d => d.ServiceType == typeof(IPolicyModel) || d.ServiceType == typeof(ITrainer));
    }

    // The fixtures' settings: 8 examples, 4 per step, 4 epochs = 8 steps.
    private static void Small(TorchSharpTrainerOptions options)
    {
        options.LearningRate = 3e-3;
        options.Epochs = 4;
        options.GlobalBatchSize = 4;
        options.MicroBatchSize = 2;
        options.WarmupRatio = 0;
        options.MaxSequenceLength = 128;
        options.Threads = 1;
        options.SaveSteps = 0;
    }

}
