namespace Srt;

/// <summary>What stage 2 does with an item whose refinement self-score equals the response's.</summary>
public enum StageTwoTieRule
{
    /// <summary>Drop the item: the paper keeps only refinements that score strictly higher.</summary>
    DropTies,

    /// <summary>Keep the item as a preference pair (refinement chosen over response).</summary>
    KeepTies,
}
