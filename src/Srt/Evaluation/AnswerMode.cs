namespace Srt.Evaluation;

/// <summary>How the policy answers during evaluation.</summary>
public enum AnswerMode
{
    /// <summary>The policy's whole output is the answer.</summary>
    Direct,

    /// <summary>
    /// The policy writes response → feedback → refinement (as a stage-1-trained model does) and the refinement,
    /// parsed with <see cref="SelfRefinementFormat.TryParse"/>, is the answer; unparseable output falls back to the whole text, counted.
    /// </summary>
    SelfRefined,
}
