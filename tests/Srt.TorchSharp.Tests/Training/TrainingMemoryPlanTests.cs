using Microsoft.Extensions.Logging;
using Srt.Testing;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Modeling;
using Srt.TorchSharp.Training;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Training;

[Collection(TorchSharpCollection.Name)]
public sealed class TrainingMemoryPlanTests
{
    private const long Overhead = 512L << 20;

    // vocab 1000, hidden 64, intermediate 128, 2 layers, 4 heads of 16 (2 key/value heads), untied: 202,048 parameters.
    private static LlamaConfig Config() => new()
    {
        VocabSize = 1000, HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2,
    };

    [Fact]
    public void Estimate_Float32FullFineTuning_MatchesTheArithmetic()
    {
        var options = new SupervisedTrainerOptions { MicroBatchSize = 2, GlobalBatchSize = 4, BatchLayout = BatchLayout.LengthBuckets };

        var plan = TrainingMemoryPlan.Estimate(Config(), options, longestSequence: 101);

        Assert.Equal(202_048, plan.Parameters);
        Assert.Equal((2, 100), (plan.Rows, plan.TokensPerRow));
        Assert.Equal(808_192, plan.WeightBytes);
        Assert.Equal(808_192, plan.GradientBytes);
        Assert.Equal(1_616_384, plan.OptimizerStateBytes);                 // m and v in float32
        // Per token: layer (6·64 + 4·64 + 4·128)·4 + 4 heads · 4 = 4,624; backward working (3·128 + 2·64)·4 = 2,048;
        // final norm 3·64·4 = 768; kept layer input 64·4 = 256. 200 token rows.
        Assert.Equal(2 * 924_800 + 153_600 + 409_600, plan.ActivationBytesWithoutCheckpointing);
        Assert.Equal(2 * 51_200 + 153_600 + 924_800 + 409_600, plan.ActivationBytesWithCheckpointing);
        // Fused loss: one chunk of all 200 rows (64 MiB allows 16,777): hidden gradient 51,200, lm_head accumulator
        // 256,000, two float32 chunks of logits 1,600,000, per-row losses 800.
        Assert.Equal(1_908_000, plan.LossBytes);
        Assert.Equal(200, plan.LossChunkRows);
        Assert.True(plan.GradientCheckpointing);
        Assert.Equal(Overhead + 808_192 + 808_192 + 1_616_384 + 256_000 + 1_908_000, plan.PeakBytes);
        Assert.Equal(plan.PeakBytes - Overhead - 808_192, plan.AdditionalBytes);

        options.GradientCheckpointing = false;
        var off = TrainingMemoryPlan.Estimate(Config(), options, longestSequence: 101);
        Assert.Equal(Overhead + 808_192 + 808_192 + 1_616_384 + 2_003_200 + 1_908_000, off.PeakBytes);
    }

    [Fact]
    public void Estimate_BFloat16LoraDpoWithFrozenCopy_CountsAdaptersReferenceAndDropout()
    {
        var options = new PreferenceTrainerOptions { MicroBatchSize = 1, GlobalBatchSize = 1, Lora = new LoraOptions(), DpoReference = DpoReference.FrozenCopy };

        var plan = TrainingMemoryPlan.Estimate(Config(), options, 51, ScalarType.BFloat16);

        Assert.Equal((1, 100), (plan.Rows, plan.TokensPerRow));                // chosen and rejected packed in one row
        // Rank 8 per layer: q 8·128, k and v 8·96, o 8·128, gate and up 8·192, down 8·192 = 8,192; two layers.
        Assert.Equal(16_384, plan.TrainableParameters);
        Assert.Equal(202_048 * 2 + 16_384 * 4, plan.WeightBytes);               // bf16 base, float32 adapters
        Assert.Equal(16_384 * 4, plan.GradientBytes);
        Assert.Equal(16_384 * 8, plan.OptimizerStateBytes);                    // adapters are float32: no master copy
        Assert.Equal(202_048 * 2, plan.ReferenceModelBytes);
        // Layer per token in bf16: (6·64 + 4·64 + 4·128)·2 + 16 = 2,320, plus LoRA inputs (5·64 + 64 + 128 = 512 features)
        // × (dropped input + mask + float32 cast) × 4 bytes = 6,144. 100 token rows; without checkpointing, two layers,
        // the final norm (3·64·2) and backward working (3·128 + 2·64)·2 per token.
        Assert.Equal(100 * (2 * (2_320 + 6_144) + 384 + 1_024), plan.ActivationBytesWithoutCheckpointing);
        // No lm_head gradient under LoRA: hidden gradient 100·64·2, two chunks 2·100·1000·4, losses 100·4.
        Assert.Equal(12_800 + 800_000 + 400, plan.LossBytes);
    }

    [Theory]
    [InlineData(2, 101, 2048, 1, 200)]    // both fit one row
    [InlineData(3, 1001, 2048, 3, 2048)]  // 3,000 tokens: first-fit leaves at most ⌈2·3000/2048⌉ = 3 rows
    [InlineData(8, 257, 1024, 4, 1024)]   // 2,048 tokens: at most ⌈2·2048/1024⌉ = 4 rows of 1,024
    public void Estimate_Packed_BoundsThePassByTheRowsPackingCanFill(int micro, int longest, int maxLength, int rows, int tokens)
    {
        var options = new SupervisedTrainerOptions { MicroBatchSize = micro, GlobalBatchSize = micro, MaxSequenceLength = maxLength };

        var plan = TrainingMemoryPlan.Estimate(Config(), options, longest);

        Assert.Equal((rows, tokens), (plan.Rows, plan.TokensPerRow));
        var worst = SequencePacker.Pack(Enumerable.Repeat(longest - 1, micro).ToArray(), maxLength);
        int width = worst.Max(r => r.Length) * (longest - 1);
        Assert.True(worst.Count * width <= (long)rows * tokens, $"packed {worst.Count} rows of {width} exceed the plan's {rows} x {tokens}");
    }

    [Fact]
    public void Estimate_Gemma_CountsTheExplicitAttentionScores()
    {
        var options = new SupervisedTrainerOptions { MicroBatchSize = 1, GlobalBatchSize = 1, GradientCheckpointing = false };
        var gemma = Config() with { ModelType = "gemma2" };

        var llamaPlan = TrainingMemoryPlan.Estimate(Config(), options, longestSequence: 101);
        var gemmaPlan = TrainingMemoryPlan.Estimate(gemma, options, longestSequence: 101);

        // Per layer and query: 4 heads × 100 keys × (float32 softmax + scores and probabilities in float32) = 4,800 bytes.
        Assert.Equal(2L * 100 * 4 * 100 * (4 + 2 * 4), gemmaPlan.ActivationBytesWithoutCheckpointing - llamaPlan.ActivationBytesWithoutCheckpointing);
    }

    [Fact]
    public void Estimate_PaperSevenBillionAt8192_CheckpointingCutsActivationsTenfold()
    {
        var llama7b = new LlamaConfig
        {
            VocabSize = 32000, HiddenSize = 4096, IntermediateSize = 11008, NumHiddenLayers = 32, NumAttentionHeads = 32,
        };
        var options = new SupervisedTrainerOptions();
        options.MicroBatchSize = 1;

        var plan = TrainingMemoryPlan.Estimate(llama7b, options, 8192, dtype: ScalarType.BFloat16, device: global::TorchSharp.DeviceType.CUDA);

        Assert.Equal(6_738_415_616, plan.Parameters);                           // Llama-2-7B
        Assert.Equal(6_738_415_616L * 20, plan.WeightBytes + plan.GradientBytes + plan.OptimizerStateBytes);
        Assert.True(plan.ActivationBytesWithCheckpointing * 10 < plan.ActivationBytesWithoutCheckpointing,
            $"{plan.ActivationBytesWithCheckpointing} vs {plan.ActivationBytesWithoutCheckpointing}");
        Assert.Contains("estimated peak", plan.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trainer_PlanExceedsTheBudget_StopsBeforeTheFirstStepNamingWhatFitsAndWritesNothing()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("keep.txt"), "earlier work");
        using var model = TrainingFixtures.Model();
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => TrainingFixtures.Flat(p.Parameter));
        var options = TrainingFixtures.Options(o => { o.GradientCheckpointing = false; o.MaxSequenceLength = 64; });
        var examples = TrainingFixtures.RepeatExamples();
        var longest = examples.Select(e => new TrainingSequenceEncoder(TrainingFixtures.Tokenizer(), TrainingFixtures.ChatML, 64).Encode(e, out _)!.Length).Max();
        long fitsWithCheckpointing = TrainingMemoryPlan.Estimate(model.Config, TrainingFixtures.Options(o => o.MaxSequenceLength = 64), longest).AdditionalBytes;
        options.MemoryBudgetBytes = fitsWithCheckpointing; // checkpointing fits exactly; the run as configured does not
        var recording = new RecordingLogger();
        using var factory = recording.ToFactory();
        var trainer = new TorchSharpTrainer(model, TrainingFixtures.Tokenizer(), TrainingFixtures.ChatML, options, TrainingFixtures.PreferenceOptions(), factory);
        int steps = 0;

        var error = await Assert.ThrowsAsync<TrainingMemoryException>(() => trainer.TrainSupervisedAsync(
            new SupervisedTrainingRequest(examples) { OutputDirectory = folder.Path }, new SyncProgress(_ => steps++)));

        Assert.Equal(0, steps);
        Assert.Contains("GradientCheckpointing = true", error.Message, StringComparison.Ordinal);
        Assert.Contains("Each of these alone would fit", error.Message, StringComparison.Ordinal);
        Assert.Contains("MemoryBudgetBytes", error.Message, StringComparison.Ordinal);
        Assert.False(error.Plan.GradientCheckpointing);
        Assert.True(error.Plan.AdditionalBytes > error.AvailableBytes);
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName));
        Assert.All(model.NamedParameters(), p => Assert.Equal(before[p.Name], TrainingFixtures.Flat(p.Parameter)));
        Assert.Null(trainer.Adapters);
        Assert.Single(recording.At(LogLevel.Information), m => m.Contains("Memory plan: SFT", StringComparison.Ordinal) && m.Contains("estimated peak", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Trainer_DpoPlanExceedsTheBudget_StopsBeforeTheReferencePass()
    {
        using var folder = new TemporaryFolder();
        using var model = TrainingFixtures.Model();
        var options = TrainingFixtures.PreferenceOptions(o => o.MemoryBudgetBytes = 1);
        var trainer = TrainingFixtures.Trainer(model, preference: options);

        var error = await Assert.ThrowsAsync<TrainingMemoryException>(() => trainer.TrainPreferenceAsync(
            new PreferenceTrainingRequest(TrainingFixtures.RepeatPairs()) { OutputDirectory = folder.Path }));

        Assert.Equal(TrainingKind.Preference, error.Plan.Kind);
        Assert.Contains("No single change fits", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path)); // no reference_logps.jsonl, no checkpoint
    }

    [Fact]
    public void MemAvailable_ProcMeminfoLine_ReadsKilobytes()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("meminfo"), "MemTotal:       24000000 kB\nMemFree:          100 kB\nMemAvailable:   12345678 kB\n");

        Assert.Equal(12_345_678L * 1024, DeviceMemory.MemAvailable(folder.File("meminfo")));
        Assert.Null(DeviceMemory.MemAvailable(folder.File("missing")));
    }
}
