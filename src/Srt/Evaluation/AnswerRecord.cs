namespace Srt.Evaluation;

/// <summary>A line of <c>eval/answers/{checkpoint}.{mode}.jsonl</c>: one generated answer.</summary>
/// <param name="Id">The item id.</param>
/// <param name="Instruction">The instruction, to refuse a reused id.</param>
/// <param name="Text">The policy's whole output.</param>
/// <param name="Answer">The answer judged: the output, or in self-refined mode the parsed refinement.</param>
/// <param name="FellBack">Whether self-refined output could not be parsed and the whole output became the answer.</param>
/// <param name="FinishReason">Why generation stopped.</param>
/// <param name="CompletionTokens">Tokens generated, when the policy reports them.</param>
/// <param name="Weights">The identity of the weights that wrote it, as given to <see cref="EvaluationRunner.GenerateAsync"/>.</param>
internal sealed record AnswerRecord(
    string Id, string Instruction, string Text, string Answer, bool FellBack, CompletionFinishReason FinishReason, int? CompletionTokens, string? Weights = null);
