using System.Diagnostics;
using System.Text.Json;
using Srt.Benchmarks.Losses;
using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Modeling.Modules;
using Srt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Training;

/// <summary>
/// Runs one <c>checkpointing</c> configuration in its own process, so the peak RSS is that configuration's alone:
/// builds the model (float32, CPU), one warm-up step on a short sequence (it starts the thread pools and allocates the
/// gradients, as any later step finds them), then one timed optimizer step on one row of the case's length, and prints
/// one JSON line with the peak, the resident memory before the step, the time and the planner's estimate.
/// </summary>
internal static class CheckpointingChild
{
    public static int Run(CheckpointingCase benchmarkCase, TextWriter output)
    {
        torch.set_num_threads(benchmarkCase.Threads);
        long processBaseline = ProcessMemory.ResidentBytes();
        var config = CheckpointingModels.ByName(benchmarkCase.Model);
        var options = Options(benchmarkCase);
        var plan = TrainingMemoryPlan.Estimate(config, options, benchmarkCase.Tokens + 1);

        using var model = LlamaForCausalLM.Create(config, seed: 1, initializerRange: 0.02);
        using var adapters = benchmarkCase.Lora ? LoraAdapters.Attach(model, options.Lora!, seed: 2) : null;
        if (adapters is not null)
        {
            adapters.IsTraining = true;
        }
        model.Train();
        model.Module.Decoder.CheckpointLayers = benchmarkCase.Checkpointing;
        var trainable = adapters?.NamedParameters().ToList() ?? model.NamedParameters().ToList();
        using var optimizer = new MixedPrecisionAdamW(trainable, options);
        var generator = new Random(3);
        TrainingSequence Row(string id, int length) => new(id, [.. Enumerable.Range(0, length).Select(_ => generator.Next(config.VocabSize))],
            [.. Enumerable.Range(0, length).Select(i => i > 0)]);
        using var objective = new SupervisedObjective(model, [Row("warmup", benchmarkCase.WarmupTokens + 1), Row("timed", benchmarkCase.Tokens + 1)], LossImplementation.Fused);
        void Step(int index)
        {
            objective.Run([index], benchmarkCase.Tokens, 1);
            optimizer.CollectGradients();
            optimizer.GradientNorm();
            optimizer.Step(1e-5, 1.0);
        }

        Step(0);
        long beforeStep = ProcessMemory.ResidentBytes();
        bool peakReset = ProcessMemory.ResetPeak();
        long recomputedBefore = ActivationCheckpointFunction.Recomputations;
        var clock = Stopwatch.StartNew();
        Step(1);
        double seconds = clock.Elapsed.TotalSeconds;
        long peak = ProcessMemory.PeakResidentBytes();
        long staticPlan = plan.WeightBytes + plan.GradientBytes + plan.OptimizerStateBytes;
        output.WriteLine(JsonSerializer.Serialize(new
        {
            bench = "checkpointing",
            model = benchmarkCase.Model,
            parameters = plan.Parameters,
            training = benchmarkCase.Lora ? "lora" : "full",
            tokens = benchmarkCase.Tokens,
            checkpointing = benchmarkCase.Checkpointing,
            peak_rss_mib = Mib(peak),
            process_baseline_mib = Mib(processBaseline),
            rss_before_step_mib = Mib(beforeStep),
            activation_mib = Mib(peak - beforeStep),
            plan_peak_mib = Mib(plan.PeakBytes),
            plan_static_mib = Mib(staticPlan),
            plan_activation_mib = Mib(plan.PeakBytes - staticPlan - plan.OverheadBytes),
            plan_over_measured = Math.Round(plan.PeakBytes / (double)peak, 3),
            recomputed_layers = ActivationCheckpointFunction.Recomputations - recomputedBefore,
            step_seconds = Math.Round(seconds, 2),
            tokens_per_second = Math.Round(benchmarkCase.Tokens / seconds, 1),
            threads = benchmarkCase.Threads,
            warmup_tokens = benchmarkCase.WarmupTokens,
            peak_reset = peakReset,
        }));
        return 0;
    }

    public static SupervisedTrainerOptions Options(CheckpointingCase benchmarkCase) => new()
    {
        MicroBatchSize = 1,
        GlobalBatchSize = 1,
        MaxSequenceLength = benchmarkCase.Tokens + 1,
        GradientCheckpointing = benchmarkCase.Checkpointing,
        Lora = benchmarkCase.Lora ? new LoraOptions() : null,
        Threads = benchmarkCase.Threads,
    };

    private static double Mib(long bytes) => Math.Round(bytes / 1048576.0, 1);
}
