namespace Srt.Samples.Quickstart;

/// <summary>One held-out problem, what the model wrote and how its two answers fared.</summary>
internal sealed record EvaluationSample(string Instruction, int Sum, string Output, string Direct, string Refined, bool SelfRefined, bool DirectCorrect, bool RefinedCorrect)
{
    public static EvaluationSample From(SumProblem problem, string output)
    {
        bool selfRefined = SelfRefinementFormat.Default.TryParse(output, out SelfRefinementOutput? parsed);
        string direct = selfRefined ? parsed!.Response : ResponsePart(output);
        string refined = selfRefined ? parsed!.Refinement : direct;
        return new EvaluationSample(problem.Instruction, problem.Sum, output, direct, refined, selfRefined, problem.IsAnsweredBy(direct), problem.IsAnsweredBy(refined));
    }

    // Without a refinement heading the answer is what comes before any heading the model started.
    private static string ResponsePart(string output)
    {
        int heading = output.IndexOf("\n###", StringComparison.Ordinal);
        return (heading >= 0 ? output[..heading] : output).Trim();
    }
}
