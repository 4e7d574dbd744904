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
    /// Gets the base model's demonstrations: half two-number sums answered with their equation (<c>12+9=21</c>, the
    /// step the feedback's running totals are made of), half sums of 3 or 4 numbers answered with the bare result.
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
            SumProblem problem = pretraining.Count % 2 == 0 ? SumProblem.Draw(random, 2, firstMax: 36) : SumProblem.Draw(random, random.Next(3, 5));
            if (!used.Contains(problem.Instruction))
            {
                pretraining.Add(problem);
            }
        }

        return new QuickstartData(heldOut, stageOne, stageTwo, pretraining);
    }

    /// <summary>The demonstration answer of a pretraining problem.</summary>
    public static string Demonstration(SumProblem problem) =>
        problem.Terms.Count == 2 ? $"{problem.RunningTotals}" : problem.Sum.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The pretraining examples as supervised sequences (the answer only carries loss).</summary>
    public IReadOnlyList<SupervisedExample> PretrainingExamples() =>
        Pretraining.Select((problem, i) => new SupervisedExample(
            $"demo-{i:D5}",
            [new ChatMessage(ChatRole.User, problem.Instruction)],
            [new SequenceSegment(Demonstration(problem), true, SegmentKind.Response)])).ToList();

    /// <summary>Loop items with stable ids.</summary>
    public static IEnumerable<InstructionItem> Items(string prefix, IReadOnlyList<SumProblem> problems) =>
        problems.Select((problem, i) => new InstructionItem($"{prefix}-{i:D4}", problem.Instruction));
}
