using System.Globalization;
using System.Text.RegularExpressions;

namespace Srt.Samples.Quickstart;

/// <summary>
/// One instruction of the built-in task: add a few small numbers, written <c>Add 7+5+9+3</c>. The answer is exactly
/// checkable, and a step-by-step check (running totals) is easy where the one-shot sum is hard for a tiny model:
/// written feedback that shows the running totals carries what a bare score cannot.
/// </summary>
internal sealed partial record SumProblem(IReadOnlyList<int> Terms)
{
    /// <summary>Gets the instruction text.</summary>
    public string Instruction => "Add " + string.Join('+', Terms);

    /// <summary>Gets the exact sum.</summary>
    public int Sum => Terms.Sum();

    /// <summary>Gets the running totals written as equations: <c>7+5=12, 12+9=21, 21+3=24</c>.</summary>
    public string RunningTotals
    {
        get
        {
            var steps = new List<string>();
            int total = Terms[0];
            foreach (int term in Terms.Skip(1))
            {
                steps.Add(string.Create(CultureInfo.InvariantCulture, $"{total}+{term}={total + term}"));
                total += term;
            }

            return string.Join(", ", steps);
        }
    }

    /// <summary>
    /// Gets the step-by-step check: the problem restated, then its running totals
    /// (<c>7+5+9+3: 7+5=12, 12+9=21, 21+3=24</c>). The base model learns to write it when asked; the critic's
    /// feedback opens with it.
    /// </summary>
    public string Check => string.Create(CultureInfo.InvariantCulture, $"{string.Join('+', Terms)}: {RunningTotals}");

    /// <summary>Reads the problem back from its instruction.</summary>
    public static SumProblem Parse(string instruction)
    {
        Match match = InstructionPattern().Match(instruction.Trim());
        if (!match.Success)
        {
            throw new FormatException($"'{instruction}' is not an instruction of the quickstart task (expected 'Add 7+5+9').");
        }

        return new SumProblem(match.Groups["terms"].Value.Split('+').Select(term => int.Parse(term, CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>Reads the answer a response gives: its last whole number, or null when it holds none.</summary>
    public static int? AnswerOf(string response)
    {
        MatchCollection numbers = NumberPattern().Matches(response);
        return numbers.Count > 0 && int.TryParse(numbers[^1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : null;
    }

    /// <summary>Draws a problem of <paramref name="count"/> terms; the first may have two digits.</summary>
    public static SumProblem Draw(Random random, int count, int firstMax = 9) =>
        new(Enumerable.Range(0, count).Select(i => random.Next(1, (i == 0 ? firstMax : 9) + 1)).ToArray());

    /// <summary>Gets a value indicating whether a response answers this problem exactly.</summary>
    public bool IsAnsweredBy(string response) => AnswerOf(response) == Sum;

    public override string ToString() => Instruction;

    [GeneratedRegex(@"^Add (?<terms>\d+(\+\d+)+)$")]
    private static partial Regex InstructionPattern();

    [GeneratedRegex(@"\d+")]
    private static partial Regex NumberPattern();
}
