namespace Srt;

/// <summary>
/// The chain of training steps a self-improvement round builds on: stage 1, stage 2, then rounds 1, 2, … each trained
/// from the model of the step before it. Round k generates with, and trains DPO against, the model of round k-1
/// (round 1: stage 2's).
/// </summary>
internal static class RoundSteps
{
    /// <summary>The folders of the steps before <paramref name="round"/>, in training order; round 0 is stage 2.</summary>
    public static IReadOnlyList<string> Before(RunDirectory run, int round)
    {
        var steps = new List<string> { run.StageOne };
        if (round >= 1)
        {
            steps.Add(run.StageTwo);
        }

        for (int earlier = 1; earlier < round; earlier++)
        {
            steps.Add(run.Round(earlier));
        }

        return steps;
    }

    /// <summary>
    /// Fails before any work when round <paramref name="round"/> cannot start: the step before it has not finished its
    /// training, or a step of the chain was trained from other weights than the step before it holds now (that step
    /// was trained again since, so what came after it is stale and must be run again first).
    /// </summary>
    public static void CheckReady(RunDirectory run, int round)
    {
        IReadOnlyList<string> steps = Before(run, round);
        string previous = steps[^1];
        string previousName = Path.GetFileName(previous);
        string roundName = RunLayout.RoundFolderName(round);
        if (PolicyWeights.ReadMarker(previous) is null)
        {
            string how = round == 1 ? "RunStageTwoAsync" : $"RunRoundAsync({round - 1}, …)";
            throw new InvalidOperationException(
                $"Round {round} starts from the model {previousName} trained, but {RunLayout.TrainingMarkerPath(previous)} does not exist: " +
                $"{previousName}'s training has not finished (or it kept nothing to train on). Run {previousName} to the end first ({how}).");
        }

        // Walk the chain as the weights went: each finished training must have started from the one before it.
        string held = TrainingMarker.BaseWeights;
        foreach (string step in steps.Append(run.Round(round)))
        {
            if (PolicyWeights.ReadMarker(step) is not { } marker)
            {
                continue;
            }

            if (marker.StartWeights is { } start && start != held)
            {
                string name = Path.GetFileName(step);
                if (name == roundName)
                {
                    // The round's own stale training is set aside and redone by TrainingStep.
                    break;
                }

                throw new InvalidOperationException(
                    $"Round {round}: {RunLayout.TrainingMarkerPath(step)} says {name} was trained from weights '{start}', but the step before it " +
                    $"now holds '{held}' (it was trained again since), so {name}'s model is stale. Run {name} again before round {round}.");
            }

            held = marker.WeightsId;
        }
    }
}
