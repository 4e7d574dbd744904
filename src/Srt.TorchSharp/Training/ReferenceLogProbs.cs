using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>
/// The DPO reference's sequence log-probs (no gradients), from one of three sources (<see cref="DpoReference"/>).
/// Created before a resumed run restores its checkpoint, so the policy it reads is still the starting model.
/// </summary>
internal sealed class ReferenceLogProbs : IDisposable
{
    public const string CacheFileName = "reference_logps.jsonl";

    private readonly Func<IReadOnlyList<int>, (float[] Chosen, float[] Rejected)> _get;
    private readonly LlamaForCausalLM? _frozenCopy;

    private ReferenceLogProbs(Func<IReadOnlyList<int>, (float[], float[])> get, LlamaForCausalLM? frozenCopy = null)
    {
        _get = get;
        _frozenCopy = frozenCopy;
    }

    public (float[] Chosen, float[] Rejected) Get(IReadOnlyList<int> indices) => _get(indices);

    public static ReferenceLogProbs Create(
        LlamaForCausalLM policy, LoraAdapters? adapters, IReadOnlyList<(TrainingSequence Chosen, TrainingSequence Rejected)> pairs,
        PreferenceTrainerOptions options, string? outputDirectory, ILogger logger)
    {
        var lossOptions = new LanguageModelLossOptions { Implementation = options.Loss };
        (float[], float[]) Compute(LlamaForCausalLM model, IReadOnlyList<int> indices)
        {
            var rows = indices.Select(i => pairs[i].Chosen).Concat(indices.Select(i => pairs[i].Rejected)).ToList();
            var all = PackingSettings.From(options) is { } packing
                ? PackedSequenceBatch.SequenceLogProbsNoGrad(model, packing, rows, lossOptions, 2 * options.MicroBatchSize)
                : SequenceBatch.SequenceLogProbsNoGrad(model, rows, lossOptions, 2 * options.MicroBatchSize);
            return (all[..indices.Count], all[indices.Count..]);
        }
        (float[], float[]) WithAdaptersOff(IReadOnlyList<int> indices)
        {
            if (adapters is null)
            {
                return Compute(policy, indices);
            }
            adapters.Enabled = false;
            try
            {
                return Compute(policy, indices);
            }
            finally
            {
                adapters.Enabled = true;
            }
        }

        switch (options.DpoReference)
        {
            case DpoReference.AdaptersDisabled:
                return new ReferenceLogProbs(WithAdaptersOff);
            case DpoReference.FrozenCopy:
                var copy = CopyOf(policy);
                return new ReferenceLogProbs(indices => Compute(copy, indices), copy);
            default:
                var table = Precompute(pairs, outputDirectory, WithAdaptersOff, options.MicroBatchSize, logger);
                return new ReferenceLogProbs(indices => ([.. indices.Select(i => table[i].Chosen)], [.. indices.Select(i => table[i].Rejected)]));
        }
    }

    private static LlamaForCausalLM CopyOf(LlamaForCausalLM policy)
    {
        // Create draws random initial weights; keep the run's generator state as it was.
        using var rngState = get_rng_state();
        var copy = LlamaForCausalLM.Create(policy.Config, new ModelLoadOptions { DType = policy.DType, Device = policy.Device.ToString() });
        set_rng_state(rngState);
        using var noGrad = no_grad();
        var source = policy.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, parameter) in copy.NamedParameters())
        {
            parameter.copy_(source[name]);
            parameter.requires_grad_(false);
        }
        copy.Eval();
        return copy;
    }

    private static (float Chosen, float Rejected)[] Precompute(
        IReadOnlyList<(TrainingSequence Chosen, TrainingSequence Rejected)> pairs, string? outputDirectory,
        Func<IReadOnlyList<int>, (float[], float[])> compute, int batchSize, ILogger logger)
    {
        var table = new (float, float)[pairs.Count];
        var cached = ReadCache(outputDirectory);
        var missing = new List<int>();
        for (int i = 0; i < pairs.Count; i++)
        {
            var (chosen, rejected) = pairs[i];
            if (cached.TryGetValue(chosen.Id, out var entry) && entry.ChosenTokens == chosen.Length && entry.RejectedTokens == rejected.Length)
            {
                table[i] = (entry.Chosen, entry.Rejected);
            }
            else
            {
                missing.Add(i);
            }
        }
        if (missing.Count == 0)
        {
            logger.LogInformation("DPO reference log-probs: all {Count} pairs read from the cache.", pairs.Count);
            return table;
        }
        logger.LogInformation("DPO reference log-probs: computing {Missing} of {Count} pairs once before training.", missing.Count, pairs.Count);
        foreach (var chunk in missing.Chunk(batchSize))
        {
            var (chosen, rejected) = compute(chunk);
            for (int j = 0; j < chunk.Length; j++)
            {
                table[chunk[j]] = (chosen[j], rejected[j]);
            }
        }
        WriteCache(outputDirectory, pairs, table);
        return table;
    }

    private static Dictionary<string, (float Chosen, float Rejected, int ChosenTokens, int RejectedTokens)> ReadCache(string? outputDirectory)
    {
        var result = new Dictionary<string, (float, float, int, int)>(StringComparer.Ordinal);
        string? path = outputDirectory is null ? null : Path.Combine(outputDirectory, CacheFileName);
        if (path is null || !File.Exists(path))
        {
            return result;
        }
        foreach (var line in File.ReadLines(path))
        {
            try
            {
                if (JsonNode.Parse(line) is JsonObject o)
                {
                    result[o["id"]!.GetValue<string>()] = (o["chosen_logp"]!.GetValue<float>(), o["rejected_logp"]!.GetValue<float>(),
                        o["chosen_tokens"]!.GetValue<int>(), o["rejected_tokens"]!.GetValue<int>());
                }
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NullReferenceException or FormatException)
            {
                // A damaged line only costs recomputing that pair.
            }
        }
        return result;
    }

    private static void WriteCache(string? outputDirectory, IReadOnlyList<(TrainingSequence Chosen, TrainingSequence Rejected)> pairs, (float Chosen, float Rejected)[] table)
    {
        if (outputDirectory is null)
        {
            return;
        }
        Directory.CreateDirectory(outputDirectory);
        string path = Path.Combine(outputDirectory, CacheFileName);
        string temporary = path + ".tmp";
        using (var writer = new StreamWriter(temporary))
        {
            for (int i = 0; i < pairs.Count; i++)
            {
                var line = new JsonObject
                {
                    ["id"] = pairs[i].Chosen.Id,
                    ["chosen_logp"] = table[i].Chosen,
                    ["rejected_logp"] = table[i].Rejected,
                    ["chosen_tokens"] = pairs[i].Chosen.Length,
                    ["rejected_tokens"] = pairs[i].Rejected.Length,
                };
                writer.WriteLine(line.ToJsonString());
            }
        }
        File.Move(temporary, path, overwrite: true);
    }

    public void Dispose() => _frozenCopy?.Dispose();
}
