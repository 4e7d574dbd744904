namespace Srt.Cli;

/// <summary>
/// The names 'srt run' gives the checkpoints whose evaluation answers it stores: each trained model is named after its
/// folder in the run directory (<see cref="RunLayout"/>); 'srt eval' judges against <see cref="Base"/> by default.
/// </summary>
internal static class EvaluationCheckpoints
{
    public const string Base = "base";

    public static string StageOne => RunLayout.StageOneFolderName;

    public static string StageTwo => RunLayout.StageTwoFolderName;

    public static string Round(int round) => RunLayout.RoundFolderName(round);
}
