namespace Srt.Evaluation;

/// <summary>One instruction of an evaluation set.</summary>
/// <param name="Id">The item id; keys the cached answers and judgments.</param>
/// <param name="Instruction">The instruction the policy answers.</param>
public sealed record EvaluationItem(string Id, string Instruction)
{
    /// <summary>Gets a reference answer to judge against (AlpacaEval: GPT-4 Turbo's), or <see langword="null"/> to judge against the baseline answer set.</summary>
    public string? Reference { get; init; }

    /// <summary>Gets the exact correct answer for task accuracy, or <see langword="null"/> when the item has none.</summary>
    public string? ExpectedAnswer { get; init; }
}
