namespace Srt.Evaluation;

/// <summary>Which answer the judge saw first (as output A).</summary>
public enum JudgeOrder
{
    /// <summary>The candidate was output A, the reference output B.</summary>
    CandidateFirst,

    /// <summary>The reference was output A, the candidate output B.</summary>
    ReferenceFirst,
}
