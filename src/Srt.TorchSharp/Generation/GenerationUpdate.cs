namespace Srt.TorchSharp.Generation;

/// <summary>A piece of streamed output: new text of one sequence, and its finish reason when it is the last piece.</summary>
/// <param name="SequenceIndex">The index of the prompt this text answers.</param>
/// <param name="Text">The new text (may be empty on the final update); joined in order, the pieces of a sequence equal
/// its <see cref="GenerationResult.Text"/>.</param>
/// <param name="FinishReason">Set on the last update of the sequence; <see langword="null"/> before.</param>
public readonly record struct GenerationUpdate(int SequenceIndex, string Text, CompletionFinishReason? FinishReason);
