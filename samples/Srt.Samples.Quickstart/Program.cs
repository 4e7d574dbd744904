// Quickstart: runs both stages of Self-Refinement Tuning with a scripted policy, a rule-based critic and a
// stand-in trainer (deterministic, in-process, no network), into runs/quickstart under the current folder.
// Run it twice: the second run resumes from the run directory and makes no model call. --fresh starts over.
using System.Globalization;
using Srt;
using Srt.Samples.Quickstart;

string runDirectory = Path.Combine("runs", "quickstart");
if (args.Contains("--fresh") && Directory.Exists(runDirectory))
{
    Directory.Delete(runDirectory, recursive: true);
}

var policy = new ScriptedPolicy();
var options = new SelfRefinementOptions { RunDirectory = runDirectory };

// A rerun whose stage-1 training is already done must start from the trained policy, as a real checkpoint would.
policy.LearnedToSelfRefine = File.Exists(Path.Combine(runDirectory, "stage1", "training.done.json"));
var loop = new SelfRefinementLoop(policy, new RuleBasedCritic(), new ScriptedTrainer(policy), options);
var progress = new PhasePrinter();

SelfRefinementResult result = await loop.RunAsync(
    QuickstartData.StageOne.Select(entry => new InstructionItem(entry.Id, entry.Instruction)),
    QuickstartData.StageTwo.Select(entry => new InstructionItem(entry.Id, entry.Instruction)),
    progress);

StageOneResult one = result.StageOne;
StageTwoResult two = result.StageTwo;
Console.WriteLine();
Console.WriteLine($"{"",-38} {"stage 1",8} {"stage 2",8}");
Row("items", one.Total, two.Total);
Row("generated (this run)", $"{one.Generated} ({one.GeneratedThisRun})", $"{two.Generated} ({two.GeneratedThisRun})");
Row("critiqued", one.Critiqued, "-");
Row("dropped: incomplete critique", one.FilteredIncomplete, "-");
Row("dropped: refinement scored lower", one.FilteredRefinementWorse, two.FilteredNotImproved);
Row("dropped: tie (stage 2 keeps > only)", "-", two.Ties);
Row("dropped: unparseable / unformattable", one.FilteredUnformattable, two.FilteredUnparseable);
Row("failed", one.Failed, two.Failed);
Row("kept (examples / pairs)", one.Kept, two.Kept);
Row("critic calls this run", one.CriticCalls, "-");
Row("avg score: responses", Average(one.AverageResponseScore), Average(two.AverageResponseScore));
Row("avg score: refinements", Average(one.AverageRefinementScore), Average(two.AverageRefinementScore));
Console.WriteLine();
Console.WriteLine($"Run directory: {loop.RunDirectory}");
Console.WriteLine("Scores come from a rule-based stand-in critic, not a model; the trainer is a stand-in too.");

static void Row(string label, object first, object second) => Console.WriteLine($"{label,-38} {first,8} {second,8}");

static string Average(double? value) => value?.ToString("F2", CultureInfo.InvariantCulture) ?? "-";

/// <summary>Prints one line each time a stage enters a new phase.</summary>
internal sealed class PhasePrinter : IProgress<StageProgress>
{
    private (int Stage, StagePhase Phase) _last;

    public void Report(StageProgress value)
    {
        lock (this)
        {
            if ((value.Stage, value.Phase) != _last)
            {
                _last = (value.Stage, value.Phase);
                Console.WriteLine($"stage {value.Stage}: {value.Phase,-11} {value.ItemsDone}/{value.ItemsTotal} settled, {value.Kept} kept, {value.Filtered} filtered, {value.CriticCalls} critic calls");
            }
        }
    }
}
