namespace Srt.Evaluation;

/// <summary>The statistics behind <see cref="PairwiseReport"/>: the Wilson interval and the length-controlled win rate.</summary>
/// <remarks>The exact methods, with formulas, are in docs/evaluation.md.</remarks>
public static class WinRateStatistics
{
    /// <summary>The z value of a two-sided 95% interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>The L2 penalty on the length coefficient θ1; it keeps the fit finite when length separates wins from losses.</summary>
    public const double LengthCoefficientPenalty = 0.01;

    /// <summary>
    /// The Wilson score interval of a win rate p̂ = score / n, where score counts a tie as half a win.
    /// </summary>
    /// <param name="score">Wins plus half the ties.</param>
    /// <param name="n">The number of judged items.</param>
    /// <param name="z">The normal quantile; the default gives a 95% interval.</param>
    /// <returns>The lower and upper bounds; (0, 1) when n is 0.</returns>
    public static (double Lower, double Upper) WilsonInterval(double score, int n, double z = Z95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0)
        {
            return (0, 1);
        }

        ArgumentOutOfRangeException.ThrowIfNegative(score);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(score, n);
        double p = score / n;
        double z2 = z * z;
        double denominator = 1 + (z2 / n);
        double center = (p + (z2 / (2 * n))) / denominator;
        double half = z * Math.Sqrt((p * (1 - p) / n) + (z2 / (4.0 * n * n))) / denominator;
        return (Math.Max(0, center - half), Math.Min(1, center + half));
    }

    /// <summary>
    /// The length-controlled win rate: fits P(win) = σ(θ0 + θ1·tanh(Δ/s)) by penalized maximum likelihood
    /// (Newton's method), where Δ is the candidate's length minus the reference's and s the standard deviation of Δ,
    /// and returns σ(θ0), the win rate the model predicts when both answers are equally long.
    /// </summary>
    /// <param name="scores">Per item: 1 win, 0.5 tie, 0 loss (fractional labels enter the likelihood as weights).</param>
    /// <param name="lengthDifferences">Per item: candidate length minus reference length.</param>
    /// <returns>σ(θ0), or <see langword="null"/> when there are no items.</returns>
    public static double? LengthControlledWinRate(IReadOnlyList<double> scores, IReadOnlyList<double> lengthDifferences)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(lengthDifferences);
        if (scores.Count != lengthDifferences.Count)
        {
            throw new ArgumentException("Each score needs its length difference.", nameof(lengthDifferences));
        }

        int n = scores.Count;
        if (n == 0)
        {
            return null;
        }

        double mean = scores.Average();
        if (mean <= 0 || mean >= 1)
        {
            // All losses or all wins: the likelihood has no finite maximum in θ0; the limit is the raw rate.
            return mean;
        }

        double meanDifference = lengthDifferences.Average();
        double s = Math.Sqrt(lengthDifferences.Sum(d => (d - meanDifference) * (d - meanDifference)) / n);
        var x = lengthDifferences.Select(d => s > 0 ? Math.Tanh(d / s) : 0.0).ToArray();
        (double theta0, _) = FitLogistic(scores, x);
        return Sigmoid(theta0);
    }

    /// <summary>Fits σ(θ0 + θ1·x) to labels y in [0, 1] by Newton's method with an L2 penalty on θ1 only.</summary>
    /// <returns>The coefficients.</returns>
    internal static (double Theta0, double Theta1) FitLogistic(IReadOnlyList<double> y, IReadOnlyList<double> x)
    {
        double theta0 = 0, theta1 = 0;
        double previous = PenalizedLogLikelihood(y, x, theta0, theta1);
        for (int iteration = 0; iteration < 100; iteration++)
        {
            // Gradient and (negative) Hessian of the penalized log-likelihood.
            double g0 = 0, g1 = -LengthCoefficientPenalty * theta1;
            double h00 = 0, h01 = 0, h11 = LengthCoefficientPenalty;
            for (int i = 0; i < y.Count; i++)
            {
                double p = Sigmoid(theta0 + (theta1 * x[i]));
                double w = p * (1 - p);
                g0 += y[i] - p;
                g1 += (y[i] - p) * x[i];
                h00 += w;
                h01 += w * x[i];
                h11 += w * x[i] * x[i];
            }

            double determinant = (h00 * h11) - (h01 * h01);
            if (determinant <= 1e-300)
            {
                break;
            }

            double step0 = ((h11 * g0) - (h01 * g1)) / determinant;
            double step1 = ((h00 * g1) - (h01 * g0)) / determinant;

            // Halve the step until the likelihood does not fall (Newton on a concave objective rarely needs it).
            double scale = 1;
            double next = PenalizedLogLikelihood(y, x, theta0 + step0, theta1 + step1);
            while (next < previous - 1e-12 && scale > 1e-6)
            {
                scale /= 2;
                next = PenalizedLogLikelihood(y, x, theta0 + (scale * step0), theta1 + (scale * step1));
            }

            theta0 += scale * step0;
            theta1 += scale * step1;
            previous = next;
            if (Math.Abs(scale * step0) < 1e-12 && Math.Abs(scale * step1) < 1e-12)
            {
                break;
            }
        }

        return (theta0, theta1);
    }

    internal static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    private static double PenalizedLogLikelihood(IReadOnlyList<double> y, IReadOnlyList<double> x, double theta0, double theta1)
    {
        double sum = -0.5 * LengthCoefficientPenalty * theta1 * theta1;
        for (int i = 0; i < y.Count; i++)
        {
            double z = theta0 + (theta1 * x[i]);

            // log σ(z) = -log(1 + e^-z) and log(1 - σ(z)) = -log(1 + e^z), written to stay finite.
            sum += (y[i] * -Softplus(-z)) + ((1 - y[i]) * -Softplus(z));
        }

        return sum;
    }

    private static double Softplus(double z) => z > 30 ? z : Math.Log(1 + Math.Exp(z));
}
