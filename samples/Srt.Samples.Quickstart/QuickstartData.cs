using Microsoft.Extensions.AI;

namespace Srt.Samples.Quickstart;

/// <summary>
/// The run's instructions, drawn from the seed: pretraining demonstrations, stage-1 and stage-2 instructions and the
/// held-out test set. Held-out problems appear nowhere else, so accuracy measures generalization.
/// </summary>
internal sealed class QuickstartData
{
    private QuickstartData(IReadOnlyList<SumProblem> heldOut, IReadOnlyList<SumProblem> stageOne, IReadOnlyList<SumProblem> stageTwo, IReadOnlyList<SumProblem> pretraining)
    {
        HeldOut = heldOut;
        StageOne = stageOne;
        StageTwo = stageTwo;
        Pretraining = pretraining;
    }

    /// <summary>Gets the test set: sums of 3 or 4 one-digit numbers.</summary>
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
                SumProblem problem = SumProblem.Draw(random, random.Next(3, 5));
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
            SumProblem problem = pretraining.Count % 3 == 0 ? SumProblem.Draw(random, 2, firstMax: 36) : SumProblem.Draw(random, random.Next(3, 5));
            if (!used.Contains(problem.Instruction))
            {
                pretraining.Add(problem);
            }
        }

        return new QuickstartData(heldOut, stageOne, stageTwo, pretraining);
    }

    /// <summary>
    /// The base model's demonstrations, a stand-in for what a pretrained LLM already knows: every third a two-number
    /// sum answered with its equation (<c>Add 12+9</c> → <c>12+9=21</c>); the others alternate between a sum of 3 or 4
    /// numbers answered in one shot (<c>Add 7+5+9</c> → <c>21</c>) and, when asked for them, its running totals
    /// (<c>Running totals of 7+5+9</c> → <c>7+5=12, 12+9=21</c>). So the base can work step by step but answers a sum in
    /// one shot, and often wrongly; the critic's feedback shows it the running totals where it went wrong.
    /// </summary>
    public IReadOnlyList<SupervisedExample> PretrainingExamples() =>
        Pretraining.Select((problem, i) =>
        {
            bool steps = problem.Terms.Count == 2 || i % 3 == 2;
            string instruction = problem.Terms.Count > 2 && steps ? "Running totals of " + string.Join('+', problem.Terms) : problem.Instruction;
            string answer = steps ? problem.RunningTotals : problem.Sum.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new SupervisedExample(
                $"demo-{i:D5}",
                [new ChatMessage(ChatRole.User, instruction)],
                [new SequenceSegment(answer, true, SegmentKind.Response)]);
        }).ToList();

    /// <summary>Loop items with stable ids.</summary>
    public static IEnumerable<InstructionItem> Items(string prefix, IReadOnlyList<SumProblem> problems) =>
        problems.Select((problem, i) => new InstructionItem($"{prefix}-{i:D4}", problem.Instruction));
}
