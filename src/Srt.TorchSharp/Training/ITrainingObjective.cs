namespace Srt.TorchSharp.Training;

/// <summary>What one kind of training computes on a micro-batch; the session owns the loop around it.</summary>
internal interface ITrainingObjective : IDisposable
{
    /// <summary>"sft" or "dpo".</summary>
    string Kind { get; }

    /// <summary>Examples (or pairs).</summary>
    int Count { get; }

    /// <summary>The length used for bucketing.</summary>
    int LengthOf(int index);

    /// <summary>Real (unpadded) tokens the example puts through the model.</summary>
    long TokensOf(int index);

    /// <summary>Tokens of the example that carry loss.</summary>
    long TrainedTokensOf(int index);

    /// <summary>What the summed losses of a global batch are divided by: trained tokens (SFT) or pairs (DPO).</summary>
    double Normalizer(IReadOnlyList<int> batch);

    /// <summary>Forward and backward of one micro-batch with the loss divided by <paramref name="normalizer"/>; returns
    /// the undivided loss sum and metric sums. Throws <see cref="NonFiniteTrainingException"/> before backward on a
    /// NaN/Inf loss.</summary>
    (double LossSum, IReadOnlyDictionary<string, double> MetricSums) Run(IReadOnlyList<int> micro, double normalizer, int step);
}
