namespace Srt.Cli;

/// <summary>The cost-relevant counts of one command (critic and judge calls, tokens as the API reported them, retries), as printed at its end.</summary>
/// <param name="CriticCalls">Critique and scoring calls made by this run (stage 1).</param>
/// <param name="RefinerCalls">Separate refinement calls made by this run (when a critique held no refinement).</param>
/// <param name="CriticInputTokens">Prompt tokens of those calls, as reported by the API.</param>
/// <param name="CriticOutputTokens">Completion tokens of those calls, as reported by the API.</param>
/// <param name="JudgeCalls">Judge calls made by this run (two per judged item, fewer when cached).</param>
/// <param name="JudgeInputTokens">Prompt tokens of the judge calls, as reported by the API.</param>
/// <param name="JudgeOutputTokens">Completion tokens of the judge calls, as reported by the API.</param>
/// <param name="Retries">Retried requests (critic and judge); each can be a paid request.</param>
/// <param name="HttpRequests">Requests sent to the endpoint, retries included.</param>
internal sealed record UsageSummary(
    int CriticCalls,
    int RefinerCalls,
    long CriticInputTokens,
    long CriticOutputTokens,
    int JudgeCalls,
    long JudgeInputTokens,
    long JudgeOutputTokens,
    long Retries,
    long HttpRequests)
{
    public void Print(TextWriter output)
    {
        output.WriteLine("Cost-relevant counts of this run (a rerun pays only for what was missing):");
        output.WriteLine($"  critic calls             {CriticCalls} (+ {RefinerCalls} refiner calls)");
        output.WriteLine($"  critic tokens            {CriticInputTokens} prompt, {CriticOutputTokens} completion");
        output.WriteLine($"  judge calls              {JudgeCalls}");
        output.WriteLine($"  judge tokens             {JudgeInputTokens} prompt, {JudgeOutputTokens} completion");
        output.WriteLine($"  retries                  {Retries}");
        output.WriteLine($"  HTTP requests            {HttpRequests}");
    }
}
