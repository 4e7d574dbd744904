using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Srt.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>
/// Before the first step: makes the run's <see cref="TrainingMemoryPlan"/>, logs it, and stops with a
/// <see cref="TrainingMemoryException"/> naming the changes that would fit when the device has too little free memory.
/// Runs before adapters are attached, the DPO reference is computed or anything is written.
/// </summary>
internal static class TrainingMemoryCheck
{
    public static TrainingMemoryPlan Run(LlamaForCausalLM model, TorchSharpTrainerOptions options, int longestSequence, ILogger logger)
    {
        var plan = TrainingMemoryPlan.Estimate(model.Config, options, longestSequence, model.DType, model.Device.type);
        var (available, source) = options.MemoryBudgetBytes is { } budget
            ? (budget, $"{options.GetType().Name}.{nameof(TorchSharpTrainerOptions.MemoryBudgetBytes)}")
            : DeviceMemory.Available(model.Device);
        string availableText = available is { } free ? $"{TrainingMemoryPlan.FormatBytes(free)} free ({source})" : $"free memory unknown ({source}); not checked";
        logger.LogInformation("{Plan}{NewLine}  {Available}", plan, Environment.NewLine, availableText);
        if (available is not { } bytes || plan.AdditionalBytes <= bytes)
        {
            return plan;
        }
        throw new TrainingMemoryException(Explain(model, options, longestSequence, plan, bytes, source), plan, bytes);
    }

    private static string Explain(
        LlamaForCausalLM model, TorchSharpTrainerOptions options, int longestSequence, TrainingMemoryPlan plan, long available, string source)
    {
        var alternatives = new List<(string Change, TrainingMemoryPlan Plan)>();
        TrainingMemoryPlan With(Action<TorchSharpTrainerOptions> change, ScalarType? dtype = null, int? longest = null)
        {
            var copy = options.Copy();
            change(copy);
            return TrainingMemoryPlan.Estimate(model.Config, copy, longest ?? longestSequence, dtype ?? model.DType, model.Device.type);
        }
        int shorter = Math.Max(2, Math.Min(longestSequence, options.MaxSequenceLength) / 2);
        var changes = new List<(string, Action<TorchSharpTrainerOptions>, ScalarType?, int?)>();
        if (!options.GradientCheckpointing)
        {
            changes.Add(("GradientCheckpointing = true", o => o.GradientCheckpointing = true, null, null));
        }
        if (options.Lora is null)
        {
            changes.Add(("Lora = new LoraOptions() (rank 8 adapters; the base weights freeze)", o => o.Lora = new LoraOptions(), null, null));
        }
        if (options.MicroBatchSize > 1)
        {
            changes.Add(("MicroBatchSize = 1 (GlobalBatchSize is kept by accumulation)", o => o.MicroBatchSize = 1, null, null));
        }
        if (options is PreferenceTrainerOptions { DpoReference: DpoReference.FrozenCopy })
        {
            changes.Add(("DpoReference = Precomputed (no second model in memory)", o => ((PreferenceTrainerOptions)o).DpoReference = DpoReference.Precomputed, null, null));
        }
        if (model.DType == ScalarType.Float32)
        {
            changes.Add(("the model loaded in bfloat16 (ModelLoadOptions.DType)", _ => { }, ScalarType.BFloat16, null));
        }
        if (shorter < longestSequence)
        {
            changes.Add(($"MaxSequenceLength = {shorter} (the longest sequence is {longestSequence} tokens)", o => o.MaxSequenceLength = shorter, null, shorter));
        }
        foreach (var (text, change, dtype, longest) in changes)
        {
            alternatives.Add((text, With(change, dtype, longest)));
        }

        var inv = CultureInfo.InvariantCulture;
        var message = new StringBuilder();
        message.Append(inv, $"The {(options.Kind == TrainingKind.Preference ? "DPO" : "supervised")} run would need about {TrainingMemoryPlan.FormatBytes(plan.AdditionalBytes)} beyond the loaded model at its peak ")
            .Append(inv, $"(estimated peak {TrainingMemoryPlan.FormatBytes(plan.PeakBytes)}), but {TrainingMemoryPlan.FormatBytes(available)} is free ({source}). ")
            .Append("No step has run and nothing was written. ");
        var fitting = alternatives.Where(a => a.Plan.AdditionalBytes <= available).ToList();
        if (fitting.Count > 0)
        {
            message.Append("Each of these alone would fit: ")
                .AppendJoin("; ", fitting.Select(a => $"{a.Change} (needs {TrainingMemoryPlan.FormatBytes(a.Plan.AdditionalBytes)})")).Append('.');
        }
        else
        {
            message.Append("No single change fits; they would need: ")
                .AppendJoin("; ", alternatives.Select(a => $"{a.Change}: {TrainingMemoryPlan.FormatBytes(a.Plan.AdditionalBytes)}"))
                .Append(". Combine them, or use a device with more memory.");
        }
        message.AppendLine().Append(plan);
        return message.ToString();
    }
}
