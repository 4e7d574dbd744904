using Srt.TorchSharp.Generation;
using Srt.TorchSharp.Tests.Generation;
using Srt.TorchSharp.Tests.Training;
using Srt.TorchSharp.Training;

namespace Srt.TorchSharp.Tests.Modeling;

/// <summary>
/// Generation and training while another thread collects garbage and runs finalizers without pause, as a host app's
/// other threads can make it happen at any moment. TorchSharp frees a Scalar in its finalizer, so a Scalar that nobody
/// holds while libtorch reads it (an implicit conversion, or the alpha of 1 that <c>a + b</c> makes) is freed mid-call
/// here within the first steps: libtorch then reads freed memory and the process ends ("Unknown scalar type", or a
/// failed check in <c>Scalar::toFloat</c>), which fails the test run. The library holds every Scalar it passes
/// (<c>HeldScalars</c>; the banned-API analyzer keeps implicit ones out of Srt.TorchSharp).
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class GarbageCollectionStressTests
{
    [Fact]
    public async Task GenerateAndTrain_WhileAnotherThreadCollectsWithoutPause_Complete()
    {
        using var collector = new Collector();
        // Wider than the usual tiny model, so libtorch's calls last long enough for a collection to land inside one.
        var config = TinyChatModel.Config() with
        {
            HiddenSize = 384, IntermediateSize = 1152, NumHiddenLayers = 4, NumAttentionHeads = 6, NumKeyValueHeads = 2,
        };
        using (var model = TinyLlama.Create(config))
        {
            var generator = new TextGenerator(model, TinyChatModel.LoadTokenizer(), stopTokenIds: []);
            var random = new Random(7);
            var prompts = Enumerable.Range(0, 6)
                .Select(i => (IReadOnlyList<int>)Enumerable.Range(0, random.Next(20, 120)).Select(_ => random.Next(32, 127)).ToArray())
                .ToArray();
            for (var round = 0; round < 6; round++)
            {
                var greedy = generator.GenerateContinuous(prompts, new GenerationOptions { Temperature = 0, MaxNewTokens = 24 }, 3);
                var sampled = generator.Generate(prompts, new GenerationOptions { Temperature = 0.8f, TopK = 20, TopP = 0.9f, MaxNewTokens = 24, Seed = round });
                Assert.All(greedy.Sequences.Concat(sampled.Sequences), sequence => Assert.Equal(24, sequence.TokenIds.Count));
            }
        }

        using var trained = TrainingFixtures.Model();
        var trainer = TrainingFixtures.Trainer(
            trained, TrainingFixtures.Options(o => { o.Epochs = 1; o.Lora = new LoraOptions(); }), TrainingFixtures.PreferenceOptions(o => o.Epochs = 1));
        var supervised = await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples()));
        var preference = await trainer.TrainPreferenceAsync(new PreferenceTrainingRequest(TrainingFixtures.RepeatPairs()));

        Assert.Equal(2, supervised.Steps);
        Assert.Equal(2, preference.Steps);
        Assert.True(collector.Collections > 10, $"only {collector.Collections} collections ran beside the work");
    }

    /// <summary>A background thread that collects the young generations and waits for finalizers in a loop until
    /// disposed.</summary>
    private sealed class Collector : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private int _collections;

        public Collector()
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    // The two young generations: the scalars at risk die young, while full collections of the whole test
                    // run's heap without pause would slow it to a crawl (generation 0 alone did not reproduce the crash).
                    GC.Collect(1);
                    GC.WaitForPendingFinalizers();
                    Interlocked.Increment(ref _collections);
                }
            }) { IsBackground = true, Name = "GC stress" };
            _thread.Start();
        }

        public int Collections => Volatile.Read(ref _collections);

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}
