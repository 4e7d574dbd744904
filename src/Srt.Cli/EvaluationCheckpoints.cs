namespace Srt.Cli;

/// <summary>The names 'srt run' gives the checkpoints whose evaluation answers it stores; 'srt eval' judges against <see cref="Base"/> by default.</summary>
internal static class EvaluationCheckpoints
{
    public const string Base = "base";

    public const string StageOne = "stage1";

    public const string StageTwo = "stage2";
}
