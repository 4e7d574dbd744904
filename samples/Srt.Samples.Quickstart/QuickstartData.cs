using System.Globalization;
using Microsoft.Extensions.AI;

namespace Srt.Samples.Quickstart;

/// <summary>
/// The run's instructions, drawn from the seed: pretraining demonstrations, stage-1 and stage-2 instructions and the
/// held-out test set. Held-out problems appear nowhere else, so accuracy measures generalization.
/// </summary>
internal sealed class QuickstartData
{
    /// <summary>Text the model reads and writes; its words become single tokens of the tiny tokenizer.</summary>
    public const string TokenizerCorpus =
        "user assistant system Add Check so the sum is as given, not no number was given Keep the answer. Add one number at a time.\n" +
        "Weaknesses:\nSuggestions:\nOverall Score: [[10]]\n\n### Feedback\n\n### Improved Response\n\n### Refinement Score\n";

    private QuickstartData(IReadOnlyList<SumProblem> heldOut, IReadOnlyList<SumProblem> stageOne, IReadOnlyList<SumProblem> stageTwo, IReadOnlyList<SumProblem> pretraining)
    {
        HeldOut = heldOut;
        StageOne = stageOne;
        StageTwo = stageTwo;
        Pretraining = pretraining;
    }

    /// <summary>Gets the test set: sums of <see cref="QuickstartSettings.MinTerms"/> to <see cref="QuickstartSettings.MaxTerms"/> one-digit numbers.</summary>
    public IReadOnlyList<SumProblem> HeldOut { get; }

    /// <summary>Gets the stage-1 instructions (the critic sees the policy's answers to these).</summary>
    public IReadOnlyList<SumProblem> StageOne { get; }

    /// <summary>Gets the stage-2 instructions (new ones; the policy critiques itself).</summary>
    public IReadOnlyList<SumProblem> StageTwo { get; }

    /// <summary>
    /// Gets the problems of the base model's demonstrations (see <see cref="PretrainingExamples"/>).
    /// </summary>
    public IReadOnlyList<SumProblem> Pretraining { get; }

    public static QuickstartData Create(QuickstartSettings settings, int seed)
    {
        var random = new Random(seed);
        var used = new HashSet<string>(StringComparer.Ordinal);
        IReadOnlyList<SumProblem> Draw(int count, bool unique)
        {
            var problems = new List<SumProblem>(count);
            while (problems.Count < count)
            {
                SumProblem problem = SumProblem.Draw(random, random.Next(settings.MinTerms, settings.MaxTerms + 1));
                if (!unique || used.Add(problem.Instruction))
                {
                    problems.Add(problem);
                }
            }

            return problems;
        }

        IReadOnlyList<SumProblem> heldOut = Draw(settings.HeldOutItems, unique: true);
        IReadOnlyList<SumProblem> stageOne = Draw(settings.StageOneItems, unique: true);
        IReadOnlyList<SumProblem> stageTwo = Draw(settings.StageTwoItems, unique: true);
        var pretraining = new List<SumProblem>(settings.PretrainingExamples);
        while (pretraining.Count < settings.PretrainingExamples)
        {
            SumProblem problem = pretraining.Count % 3 == 0
                ? SumProblem.Draw(random, 2, firstMax: 9 * (settings.MaxTerms - 1))
                : SumProblem.Draw(random, random.Next(settings.MinTerms, settings.MaxTerms + 1));
            if (!used.Contains(problem.Instruction))
            {
                pretraining.Add(problem);
            }
        }

        return new QuickstartData(heldOut, stageOne, stageTwo, pretraining);
    }

    /// <summary>
    /// The base model's demonstrations, a stand-in for what a pretrained LLM already knows. Of every six: two are
    /// two-number sums answered with their equation (<c>Add 12+9</c> → <c>12+9=21</c>), three ask for a step-by-step
    /// check (<c>Check 7+5+9+3</c> → <c>7+5+9+3: 7+5=12, 12+9=21, 21+3=24, so the sum is 24</c>) and one is a longer sum
    /// answered in one shot (<c>Add 7+5+9+3</c> → <c>24</c>). So the base can check a sum step by step when asked, but
    /// answers an instruction in one shot, and mostly wrongly; the critic's feedback opens with the same check.
    /// </summary>
    public IReadOnlyList<SupervisedExample> PretrainingExamples() =>
        Pretraining.Select((problem, i) =>
        {
            string instruction = problem.Instruction;
            string answer = problem.Sum.ToString(CultureInfo.InvariantCulture);
            if (problem.Terms.Count == 2)
            {
                answer = problem.RunningTotals;
            }
            else if (i % 6 != 4)
            {
                instruction = "Check " + string.Join('+', problem.Terms);
                answer = problem.Check + ", so the sum is " + answer;
            }

            return new SupervisedExample(
                $"demo-{i:D5}",
                [new ChatMessage(ChatRole.User, instruction)],
                [new SequenceSegment(answer, true, SegmentKind.Response)]);
        }).ToList();

    /// <summary>Loop items with stable ids.</summary>
    public static IEnumerable<InstructionItem> Items(string prefix, IReadOnlyList<SumProblem> problems) =>
        problems.Select((problem, i) => new InstructionItem($"{prefix}-{i:D4}", problem.Instruction));
}
