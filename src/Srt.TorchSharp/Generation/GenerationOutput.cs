namespace Srt.TorchSharp.Generation;

/// <summary>The sequences of one <see cref="TextGenerator"/> call (static or continuous batching), in prompt order,
/// and where the time went.</summary>
/// <param name="Sequences">One result per prompt, in prompt order.</param>
/// <param name="PrefillDuration">The time of the prompt passes (and sampling each prompt's first token); with
/// continuous batching, the sum over the prompts, each prefilled alone.</param>
/// <param name="DecodeDuration">The time of all one-token steps after the prompt passes.</param>
/// <param name="DecodeSteps">The number of one-token forward passes (each over all running rows).</param>
public sealed record GenerationOutput(
    IReadOnlyList<GenerationResult> Sequences, TimeSpan PrefillDuration, TimeSpan DecodeDuration, int DecodeSteps);
