namespace Srt;

/// <summary>What became of one item in a stage.</summary>
internal enum ItemOutcome
{
    /// <summary>Kept: it became a training example or a preference pair.</summary>
    Kept,

    /// <summary>A model call for it threw; the reason is in the stage's <c>failures.jsonl</c>.</summary>
    Failed,

    /// <summary>Stage 1: the critique lacked weaknesses, suggestions, a score or a refinement.</summary>
    Incomplete,

    /// <summary>Stage 1: the separate scoring call gave no readable score for the refinement.</summary>
    RefinementUnscored,

    /// <summary>Stage 1: the refinement scored below the response.</summary>
    RefinementWorse,

    /// <summary>Stage 1: the response or refinement is empty or holds a line equal to a format heading, so the sequence could not be parsed back.</summary>
    Unformattable,

    /// <summary>Stage 2: the policy's output lacked a part or a self-score, or was cut off.</summary>
    Unparseable,

    /// <summary>Stage 2: the refinement's self-score was below the response's.</summary>
    NotImproved,

    /// <summary>Stage 2: the two self-scores were equal and ties are dropped.</summary>
    Tie,
}
