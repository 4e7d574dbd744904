using System.Globalization;

namespace Srt;

/// <summary>
/// The names and places of everything in a run directory: <c>run.json</c>, one folder per stage and per later round
/// (<c>stage1</c>, <c>stage2</c>, <c>round1</c>, …) with JSONL files keyed by item id, each step's <c>training/</c>
/// folder and <c>training.done.json</c> marker, and the evaluation's <c>eval/</c> folder. The loop, the evaluation
/// runner, the exports and the <c>srt</c> tool all ask this type; nothing else spells a name.
/// </summary>
/// <remarks>See docs/run-directory.md for what each file holds and how a rerun resumes from them. Files a trainer
/// writes inside its own output folder (<see cref="TrainingFolderName"/>) are that trainer's layout.</remarks>
public static class RunLayout
{
    /// <summary>Gets the name of the file at the top of a run directory that records each start's settings.</summary>
    public static string ManifestFileName => "run.json";

    /// <summary>Gets the name of stage 1's folder, also the name of its training run and of its model as an evaluation checkpoint.</summary>
    public static string StageOneFolderName => "stage1";

    /// <summary>Gets the name of stage 2's folder, also the name of its training run and of its model as an evaluation checkpoint.</summary>
    public static string StageTwoFolderName => "stage2";

    /// <summary>Gets the name of the evaluation's folder.</summary>
    public static string EvaluationFolderName => "eval";

    /// <summary>Gets the name of the folder, inside a stage or round folder, the trainer writes its checkpoints to.</summary>
    public static string TrainingFolderName => "training";

    /// <summary>Gets the name of the marker a finished training leaves in its stage or round folder.</summary>
    public static string TrainingMarkerFileName => "training.done.json";

    /// <summary>Gets the name of stage 1's sampled responses.</summary>
    public static string ResponsesFileName => "responses.jsonl";

    /// <summary>Gets the name of stage 1's critiques.</summary>
    public static string CritiquesFileName => "critiques.jsonl";

    /// <summary>Gets the name of stage 1's refinements written by the refiner.</summary>
    public static string RefinementsFileName => "refinements.jsonl";

    /// <summary>Gets the name of stage 1's separate refinement scores.</summary>
    public static string RefinementScoresFileName => "refinement-scores.jsonl";

    /// <summary>Gets the name of stage 1's supervised sequences.</summary>
    public static string ExamplesFileName => "examples.jsonl";

    /// <summary>Gets the name of the self-refinement outputs of stage 2 and of each round.</summary>
    public static string OutputsFileName => "outputs.jsonl";

    /// <summary>Gets the name of the preference pairs of stage 2 and of each round.</summary>
    public static string PairsFileName => "pairs.jsonl";

    /// <summary>Gets the name of a stage's failed calls.</summary>
    public static string FailuresFileName => "failures.jsonl";

    /// <summary>Gets the name of a stage's settled items (kept, filtered, failed, with scores).</summary>
    public static string OutcomesFileName => "outcomes.jsonl";

    /// <summary>Gets the name of the folder, inside stage 1's, where a batch critic keeps its state.</summary>
    public static string BatchesFolderName => "batches";

    /// <summary>Gets the name of a batch critic's submissions, inside <see cref="BatchesFolderName"/>.</summary>
    public static string BatchStatesFileName => "batches.jsonl";

    /// <summary>Gets the name of the folder of uploaded batch request files, inside <see cref="BatchesFolderName"/>.</summary>
    public static string BatchRequestsFolderName => "requests";

    /// <summary>Gets the name of the folder of downloaded batch results, inside <see cref="BatchesFolderName"/>.</summary>
    public static string BatchOutputsFolderName => "outputs";

    /// <summary>Gets the name of the folder of stored answers, inside <see cref="EvaluationFolderName"/>.</summary>
    public static string AnswersFolderName => "answers";

    /// <summary>Gets the name of the list of answer sets (the order of the comparison's rows), inside <see cref="EvaluationFolderName"/>.</summary>
    public static string AnswerSetsFileName => "answer-sets.json";

    /// <summary>Gets the name of the folder of the judge's caches, inside <see cref="EvaluationFolderName"/>.</summary>
    public static string JudgmentsFolderName => "judgments";

    /// <summary>Gets the name of the judge's stored verdicts, inside its cache folder.</summary>
    public static string JudgmentsFileName => "judgments.jsonl";

    /// <summary>Gets the name of the judge's failed calls, inside its cache folder.</summary>
    public static string JudgeFailuresFileName => "judge-failures.jsonl";

    /// <summary>Gets the name of the comparison table as JSON, inside <see cref="EvaluationFolderName"/>.</summary>
    public static string ComparisonJsonFileName => "comparison.json";

    /// <summary>Gets the name of the comparison table as Markdown, inside <see cref="EvaluationFolderName"/>.</summary>
    public static string ComparisonMarkdownFileName => "comparison.md";

    /// <summary>Gets the name of a self-improvement round's folder (<c>round1</c>, <c>round2</c>, …), also the name of its
    /// training run and of its model as an evaluation checkpoint.</summary>
    /// <param name="round">The round, from 1.</param>
    /// <returns>The folder name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="round"/> is less than 1.</exception>
    public static string RoundFolderName(int round)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(round, 1);
        return "round" + round.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Gets the full path of <c>run.json</c>.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <returns>The path.</returns>
    public static string ManifestPath(string runDirectory) => Path.Combine(Root(runDirectory), ManifestFileName);

    /// <summary>Gets the full path of a stage's folder.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="stage">1 or 2.</param>
    /// <returns>The path.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stage"/> is neither 1 nor 2.</exception>
    public static string StageFolder(string runDirectory, int stage) => Path.Combine(Root(runDirectory), stage switch
    {
        1 => StageOneFolderName,
        2 => StageTwoFolderName,
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "The method has two stages, 1 and 2."),
    });

    /// <summary>Gets the full path of a self-improvement round's folder.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="round">The round, from 1.</param>
    /// <returns>The path.</returns>
    public static string RoundFolder(string runDirectory, int round) => Path.Combine(Root(runDirectory), RoundFolderName(round));

    /// <summary>Gets the full path of the evaluation's folder.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <returns>The path.</returns>
    public static string EvaluationFolder(string runDirectory) => Path.Combine(Root(runDirectory), EvaluationFolderName);

    /// <summary>Gets the trainer's output folder of a stage or round.</summary>
    /// <param name="stepFolder">The stage or round folder.</param>
    /// <returns>The path.</returns>
    public static string TrainingFolder(string stepFolder) => Path.Combine(stepFolder, TrainingFolderName);

    /// <summary>Gets the path of a stage's or round's <c>training.done.json</c>.</summary>
    /// <param name="stepFolder">The stage or round folder.</param>
    /// <returns>The path.</returns>
    public static string TrainingMarkerPath(string stepFolder) => Path.Combine(stepFolder, TrainingMarkerFileName);

    private static string Root(string runDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        return Path.GetFullPath(runDirectory);
    }
}
