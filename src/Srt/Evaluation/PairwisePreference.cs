namespace Srt.Evaluation;

/// <summary>What the judge preferred for one item after both orders were judged.</summary>
public enum PairwisePreference
{
    /// <summary>At least one of the two judge calls failed or could not be parsed; the item is left out of the rates.</summary>
    Failed,

    /// <summary>Both orders preferred the candidate.</summary>
    CandidateWins,

    /// <summary>The two orders disagreed (position bias or a close call): half a win.</summary>
    Tie,

    /// <summary>Both orders preferred the reference.</summary>
    ReferenceWins,
}
