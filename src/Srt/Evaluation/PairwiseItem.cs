namespace Srt.Evaluation;

/// <summary>One comparison for <see cref="PairwiseJudge"/>: an instruction, the candidate's answer and the reference answer.</summary>
/// <param name="Id">The item id; keys the cached judgments, so keep it stable across reruns.</param>
/// <param name="Instruction">The instruction both answers respond to.</param>
/// <param name="Candidate">The answer being evaluated.</param>
/// <param name="Reference">The answer it is compared with (the paper: GPT-4 Turbo's answers; here often the base model's).</param>
public sealed record PairwiseItem(string Id, string Instruction, string Candidate, string Reference);
