namespace Srt.TorchSharp.Generation;

/// <summary>Checks <see cref="GenerationOptions"/> before any tensor work, with messages that name the field.</summary>
internal static class GenerationOptionsValidation
{
    public static void Validate(GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!float.IsFinite(options.Temperature) || options.Temperature < 0)
        {
            throw new ArgumentException($"GenerationOptions.Temperature must be 0 (greedy) or positive; got {options.Temperature}.", nameof(options));
        }
        if (!(options.TopP > 0 && options.TopP <= 1))
        {
            throw new ArgumentException($"GenerationOptions.TopP must be in (0, 1]; got {options.TopP}.", nameof(options));
        }
        if (options.TopK < 0)
        {
            throw new ArgumentException($"GenerationOptions.TopK must be 0 (off) or positive; got {options.TopK}.", nameof(options));
        }
        if (options.MaxNewTokens <= 0)
        {
            throw new ArgumentException($"GenerationOptions.MaxNewTokens must be positive; got {options.MaxNewTokens}.", nameof(options));
        }
        for (var i = 0; i < options.StopSequences.Count; i++)
        {
            if (string.IsNullOrEmpty(options.StopSequences[i]))
            {
                throw new ArgumentException($"GenerationOptions.StopSequences[{i}] is empty.", nameof(options));
            }
        }
    }
}
