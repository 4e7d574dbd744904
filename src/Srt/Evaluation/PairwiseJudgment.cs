namespace Srt.Evaluation;

/// <summary>The judge's decision on one item, from both orders.</summary>
/// <param name="Id">The item id.</param>
/// <param name="Preference">The combined preference; <see cref="PairwisePreference.Tie"/> when the orders disagree.</param>
/// <param name="CandidateFirstVerdict">The verdict ('A' or 'B') when the candidate was output A, or <see langword="null"/> when that call failed or the answers were identical.</param>
/// <param name="ReferenceFirstVerdict">The verdict ('A' or 'B') when the reference was output A, or <see langword="null"/> when that call failed or the answers were identical.</param>
/// <param name="CandidateLength">The candidate's length in characters.</param>
/// <param name="ReferenceLength">The reference's length in characters.</param>
/// <param name="FailureReason">Why the item failed, or <see langword="null"/>.</param>
public sealed record PairwiseJudgment(
    string Id,
    PairwisePreference Preference,
    char? CandidateFirstVerdict,
    char? ReferenceFirstVerdict,
    int CandidateLength,
    int ReferenceLength,
    string? FailureReason = null)
{
    /// <summary>Gets a value indicating whether both answers were the same text: a tie by definition, judged without a call (both verdicts are <see langword="null"/>).</summary>
    public bool IdenticalAnswers { get; init; }

    /// <summary>Gets the candidate's length in tokens, when <see cref="PairwiseJudgeOptions.CountTokens"/> is set.</summary>
    public int? CandidateTokens { get; init; }

    /// <summary>Gets the reference's length in tokens, when <see cref="PairwiseJudgeOptions.CountTokens"/> is set.</summary>
    public int? ReferenceTokens { get; init; }

    /// <summary>Gets the candidate's score: 1 for a win, 0.5 for a tie, 0 for a loss; <see langword="null"/> when failed.</summary>
    public double? Score => Preference switch
    {
        PairwisePreference.CandidateWins => 1.0,
        PairwisePreference.Tie => 0.5,
        PairwisePreference.ReferenceWins => 0.0,
        _ => null,
    };
}
