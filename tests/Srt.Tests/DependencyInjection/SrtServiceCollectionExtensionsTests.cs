using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Srt.Tests.Critics;

namespace Srt.Tests.DependencyInjection;

public sealed class SrtServiceCollectionExtensionsTests : IDisposable
{
    private readonly string _runDirectory = Path.Combine(Path.GetTempPath(), "srt-di-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void AddSrt_FullRegistration_ResolvesOneLoopWithCriticAsRefiner()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddKeyedSingleton<IChatClient>("srt-critic", new TestChatClient());
        services.AddSrt(o => o.RunDirectory = _runDirectory)
            .WithChatClientCritic()
            .WithPolicy(_ => new NoPolicy())
            .WithTrainer(_ => new NoTrainer());
        using var provider = services.BuildServiceProvider();

        var loop = provider.GetRequiredService<SelfRefinementLoop>();

        Assert.Same(loop, provider.GetRequiredService<SelfRefinementLoop>());
        Assert.Equal(Path.GetFullPath(_runDirectory), loop.RunDirectory);
        Assert.IsType<ChatClientCritic>(provider.GetRequiredService<ICritic>());
    }

    [Fact]
    public void AddSrt_NoCritic_ThrowsNamingTheRegistration()
    {
        var services = new ServiceCollection();
        services.AddSrt(o => o.RunDirectory = _runDirectory).WithPolicy(_ => new NoPolicy()).WithTrainer(_ => new NoTrainer());
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<SelfRefinementLoop>());
        Assert.Contains("WithChatClientCritic", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSrt_NoRunDirectory_ThrowsNamingTheSetting()
    {
        var services = new ServiceCollection();
        services.AddSrt()
            .WithCritic(_ => new ChatClientCritic(new TestChatClient()))
            .WithPolicy(_ => new NoPolicy())
            .WithTrainer(_ => new NoTrainer());
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<SelfRefinementLoop>());
        Assert.Contains("RunDirectory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSrt_CalledTwice_RegistersLoopOnce()
    {
        var services = new ServiceCollection();
        services.AddSrt();
        services.AddSrt();

        Assert.Single(services, d => d.ServiceType == typeof(SelfRefinementLoop));
    }

    public void Dispose()
    {
        if (Directory.Exists(_runDirectory))
        {
            Directory.Delete(_runDirectory, recursive: true);
        }
    }

    private sealed class NoPolicy : IPolicyModel
    {
        public Task<IReadOnlyList<PolicyCompletion>> GenerateAsync(
            IReadOnlyList<IReadOnlyList<ChatMessage>> prompts, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
    }

    private sealed class NoTrainer : ITrainer
    {
        public Task<TrainingResult> TrainSupervisedAsync(
            SupervisedTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<TrainingResult> TrainPreferenceAsync(
            PreferenceTrainingRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
    }
}
