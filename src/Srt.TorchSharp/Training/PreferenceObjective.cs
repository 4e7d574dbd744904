using Srt.TorchSharp.Kernels;
using Srt.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>
/// DPO's sigmoid loss, −log σ(β((π_c − π_r) − (ref_c − ref_r))), per pair, with sequence log-probs summed over the
/// answer tokens (end-of-turn included), plus α times the chosen answer's mean token NLL when
/// <see cref="PreferenceTrainerOptions.DpoNllWeight"/> is α &gt; 0. Chosen and rejected rows go through the model in one
/// batch (packed into shared rows when <see cref="TorchSharpTrainerOptions.BatchLayout"/> is
/// <see cref="BatchLayout.Packed"/>). Metrics use TRL's names: rewards/chosen = β(π_c − ref_c), rewards/rejected, rewards/margins,
/// rewards/accuracies, logps/chosen, logps/rejected, nll_loss.
/// </summary>
internal sealed class PreferenceObjective(
    LlamaForCausalLM model, IReadOnlyList<(TrainingSequence Chosen, TrainingSequence Rejected)> pairs, ReferenceLogProbs reference, PreferenceTrainerOptions options)
    : ITrainingObjective
{
    private readonly LanguageModelLossOptions _lossOptions = new() { Implementation = options.Loss };
    private readonly PackingSettings? _packing = PackingSettings.From(options);

    public string Kind => "dpo";

    public int Count => pairs.Count;

    public int LengthOf(int index) => Math.Max(pairs[index].Chosen.Length, pairs[index].Rejected.Length);

    public long TokensOf(int index) => pairs[index].Chosen.Length + pairs[index].Rejected.Length;

    public long TrainedTokensOf(int index) => pairs[index].Chosen.TrainedTokens + pairs[index].Rejected.TrainedTokens;

    public double Normalizer(IReadOnlyList<int> batch) => batch.Count;

    public (double LossSum, IReadOnlyDictionary<string, double> MetricSums) Run(IReadOnlyList<int> micro, double normalizer, int step)
    {
        var (referenceChosen, referenceRejected) = reference.Get(micro);
        using var scope = NewDisposeScope();
        var rows = micro.Select(i => pairs[i].Chosen).Concat(micro.Select(i => pairs[i].Rejected)).ToList();
        var logProbs = SequenceLogProbs(rows);
        var policyChosen = logProbs[..micro.Count];
        var policyRejected = logProbs[micro.Count..];
        var refChosen = tensor(referenceChosen, ScalarType.Float32).to(logProbs.device);
        var refRejected = tensor(referenceRejected, ScalarType.Float32).to(logProbs.device);
        var logits = (policyChosen - policyRejected - (refChosen - refRejected)).mul(HeldScalars.Of(options.DpoBeta));
        var losses = nn.functional.logsigmoid(logits).neg();
        var chosenTokens = tensor(micro.Select(i => (float)Math.Max(1, pairs[i].Chosen.TrainedTokens)).ToArray()).to(logProbs.device);
        var chosenNll = policyChosen.neg().div(chosenTokens);
        if (options.DpoNllWeight > 0)
        {
            losses = losses.add(chosenNll.mul(HeldScalars.Of(options.DpoNllWeight)), HeldScalars.One);
        }

        var lossSum = losses.sum();
        double lossValue = lossSum.to(ScalarType.Float64).item<double>();
        if (!double.IsFinite(lossValue))
        {
            throw new NonFiniteTrainingException(step, "loss", lossValue);
        }
        lossSum.div(HeldScalars.Of(normalizer)).backward();
        using var noGrad = no_grad();
        var rewardChosen = (policyChosen.detach() - refChosen).mul(HeldScalars.Of(options.DpoBeta));
        var rewardRejected = (policyRejected.detach() - refRejected).mul(HeldScalars.Of(options.DpoBeta));
        double Sum(Tensor t) => t.to(ScalarType.Float64).sum().item<double>();
        var metrics = new Dictionary<string, double>
        {
            ["rewards/chosen"] = Sum(rewardChosen),
            ["rewards/rejected"] = Sum(rewardRejected),
            ["rewards/margins"] = Sum(rewardChosen - rewardRejected),
            ["rewards/accuracies"] = Sum(rewardChosen.gt(rewardRejected)),
            ["logps/chosen"] = Sum(policyChosen.detach()),
            ["logps/rejected"] = Sum(policyRejected.detach()),
            ["nll_loss"] = Sum(chosenNll.detach()),
        };
        return (lossValue, metrics);
    }

    private Tensor SequenceLogProbs(IReadOnlyList<TrainingSequence> rows)
    {
        if (_packing is null)
        {
            return SequenceBatch.SequenceLogProbs(model, rows, _lossOptions);
        }
        using var packed = PackedSequenceBatch.Collate(rows, _packing.RowTokens, model.Device);
        return packed.SequenceLogProbs(model, _packing, rows, _lossOptions);
    }

    public void Dispose() => reference.Dispose();
}
