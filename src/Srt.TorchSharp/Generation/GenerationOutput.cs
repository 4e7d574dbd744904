namespace Srt.TorchSharp.Generation;

/// <summary>The sequences of one <see cref="TextGenerator.Generate(IReadOnlyList{IReadOnlyList{int}}, GenerationOptions, Action{GenerationUpdate}?, CancellationToken)"/>
/// call, in prompt order, and where the time went.</summary>
/// <param name="Sequences">One result per prompt, in prompt order.</param>
/// <param name="PrefillDuration">The time of the prompt pass (and sampling the first token).</param>
/// <param name="DecodeDuration">The time of all one-token steps after the prompt pass.</param>
/// <param name="DecodeSteps">The number of one-token forward passes after the prompt pass.</param>
public sealed record GenerationOutput(
    IReadOnlyList<GenerationResult> Sequences, TimeSpan PrefillDuration, TimeSpan DecodeDuration, int DecodeSteps);
