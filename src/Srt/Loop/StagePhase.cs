namespace Srt;

/// <summary>What a stage of the loop is doing.</summary>
public enum StagePhase
{
    /// <summary>Loading the run directory and deciding what is left to do.</summary>
    Resuming,

    /// <summary>The policy is answering instructions.</summary>
    Generating,

    /// <summary>The critic is writing feedback and a refinement for a response.</summary>
    Critiquing,

    /// <summary>The refiner is writing a refinement the critique did not hold.</summary>
    Refining,

    /// <summary>The critic is scoring a refinement in a call that does not see the feedback.</summary>
    Scoring,

    /// <summary>Parsing the policy's own response, feedback and refinement (stage 2).</summary>
    Parsing,

    /// <summary>The trainer is training on the kept items.</summary>
    Training,

    /// <summary>The stage has finished.</summary>
    Completed,
}
