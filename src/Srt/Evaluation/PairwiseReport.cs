namespace Srt.Evaluation;

/// <summary>The result of a <see cref="PairwiseJudge"/> run. Rates count only items both orders of which were judged.</summary>
public sealed record PairwiseReport
{
    /// <summary>Gets every item's judgment, in input order, failed ones included.</summary>
    public required IReadOnlyList<PairwiseJudgment> Judgments { get; init; }

    /// <summary>Gets the number of items judged in both orders (the n of the rates).</summary>
    public int Judged => Wins + Ties + Losses;

    /// <summary>Gets the number of items both orders preferred the candidate on.</summary>
    public int Wins { get; init; }

    /// <summary>Gets the number of items the orders disagreed on.</summary>
    public int Ties { get; init; }

    /// <summary>Gets the number of items both orders preferred the reference on.</summary>
    public int Losses { get; init; }

    /// <summary>Gets the number of items left out because a judge call failed or could not be parsed.</summary>
    public int Failed { get; init; }

    /// <summary>Gets the win rate (wins + 0.5·ties) / n, or <see langword="null"/> when nothing was judged.</summary>
    public double? WinRate { get; init; }

    /// <summary>Gets the lower bound of the 95% Wilson interval of <see cref="WinRate"/>.</summary>
    public double? WinRateLower { get; init; }

    /// <summary>Gets the upper bound of the 95% Wilson interval of <see cref="WinRate"/>.</summary>
    public double? WinRateUpper { get; init; }

    /// <summary>Gets ties / n.</summary>
    public double? TieRate { get; init; }

    /// <summary>Gets the length-controlled win rate σ(θ0) (see <see cref="WinRateStatistics.LengthControlledWinRate"/>).</summary>
    public double? LengthControlledWinRate { get; init; }

    /// <summary>Gets the candidates' average length in characters over the judged items.</summary>
    public double? AverageCandidateLength { get; init; }

    /// <summary>Gets the references' average length in characters over the judged items.</summary>
    public double? AverageReferenceLength { get; init; }

    /// <summary>Gets the candidates' average length in tokens, when a token counter was set.</summary>
    public double? AverageCandidateTokens { get; init; }

    /// <summary>Gets the references' average length in tokens, when a token counter was set.</summary>
    public double? AverageReferenceTokens { get; init; }

    /// <summary>Gets the number of judge calls made by this run (each order is one call; retries not counted).</summary>
    public int JudgeCalls { get; init; }

    /// <summary>Gets the number of judgments taken from the cache instead of a call.</summary>
    public int CachedJudgments { get; init; }

    /// <summary>Gets the input (prompt) tokens of this run's judge calls, as reported by the API.</summary>
    public long InputTokens { get; init; }

    /// <summary>Gets the output (completion) tokens of this run's judge calls, as reported by the API.</summary>
    public long OutputTokens { get; init; }
}
