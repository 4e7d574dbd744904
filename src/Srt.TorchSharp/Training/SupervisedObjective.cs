using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>Next-token cross-entropy over trained tokens. Micro-batch losses are sums divided by the trained tokens of
/// the whole global batch, so accumulation gives exactly the token-mean loss of the global batch. With
/// <paramref name="packing"/>, a micro-batch's sequences share rows (<see cref="PackedSequenceBatch"/>); the loss is the same.</summary>
internal sealed class SupervisedObjective(
    LlamaForCausalLM model, IReadOnlyList<TrainingSequence> sequences, LossImplementation implementation, PackingSettings? packing = null)
    : ITrainingObjective
{
    private static readonly IReadOnlyDictionary<string, double> NoMetrics = new Dictionary<string, double>();

    private readonly LanguageModelLossOptions _lossOptions = new() { Implementation = implementation, Reduction = LossReduction.Sum };

    public string Kind => "sft";

    public int Count => sequences.Count;

    public int LengthOf(int index) => sequences[index].Length;

    public long TokensOf(int index) => sequences[index].Length;

    public long TrainedTokensOf(int index) => sequences[index].TrainedTokens;

    public double Normalizer(IReadOnlyList<int> batch) => batch.Sum(i => (double)sequences[i].TrainedTokens);

    public (double LossSum, IReadOnlyDictionary<string, double> MetricSums) Run(IReadOnlyList<int> micro, double normalizer, int step)
    {
        using var scope = NewDisposeScope();
        var rows = micro.Select(i => sequences[i]).ToList();
        Tensor hidden, targets, mask;
        if (packing is not null)
        {
            var packed = PackedSequenceBatch.Collate(rows, packing.RowTokens, model.Device);
            (hidden, targets, mask) = (packed.ForwardHidden(model, packing), packed.Targets, packed.Mask);
        }
        else
        {
            Tensor inputs;
            (inputs, targets, mask) = SequenceBatch.Collate(rows, model.Device);
            hidden = model.ForwardHidden(inputs);
        }
        var result = LanguageModelLoss.CrossEntropy(
            hidden, model.LmHeadWeight, targets, mask, _lossOptions.WithLogitSoftcapping(model.Config.FinalLogitSoftcapping));
        double lossSum = result.Loss.to(ScalarType.Float64).item<double>();
        if (!double.IsFinite(lossSum))
        {
            throw new NonFiniteTrainingException(step, "loss", lossSum);
        }
        result.Loss.div(HeldScalars.Of(normalizer)).backward();
        return (lossSum, NoMetrics);
    }

    public void Dispose()
    {
    }
}
