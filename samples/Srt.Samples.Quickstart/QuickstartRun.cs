using System.Diagnostics;
using Srt.TorchSharp;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Training;

namespace Srt.Samples.Quickstart;

/// <summary>
/// The whole quickstart over one run directory: pretrain a tiny base policy, evaluate it, run stage 1 and stage 2 of
/// Self-Refinement Tuning through <see cref="SelfRefinementLoop"/> and <see cref="TorchSharpTrainer"/>, run the
/// "refinements only" ablation from the same base with the same stage-1 budget, and evaluate every model on the
/// held-out set. Every step stores its result, so a rerun continues where the last one stopped.
/// </summary>
internal sealed class QuickstartRun(string runDirectory, QuickstartSettings settings, int seed, RunProgress progress)
{
    private const int StageOneMaxNewTokens = 12;
    private const int SelfRefinementMaxNewTokens = 160;
    private const string BaseWeights = "base";

    // Typical shares of a stage's time that go to generating, critiquing and filtering (the rest is training), as
    // measured on the default run: they place the stage's training steps on the run's time-left estimate.
    private const double StageOneGenerationShare = 0.05;
    private const double StageTwoGenerationShare = 0.4;
    private readonly ModelStore _models = new(runDirectory);
    private readonly QuickstartData _data = QuickstartData.Create(settings, seed);
    private readonly SumCritic _critic = new();

    /// <summary>Gets the seconds each step took in this run (resumed steps take about none).</summary>
    public Dictionary<string, double> Seconds { get; } = [];

    public StageOneResult? StageOne { get; private set; }

    public StageOneResult? Ablation { get; private set; }

    public StageTwoResult? StageTwo { get; private set; }

    public async Task<IReadOnlyList<Evaluation>> RunAsync(CancellationToken cancellationToken)
    {
        await Timed("pretraining", () => PretrainBaseAsync(cancellationToken));
        var evaluations = new List<Evaluation> { await EvaluateAsync("base", BaseWeights, cancellationToken) };

        // One policy for both stages, loaded from the base every time: on a rerun the loop restores the weights of
        // any training it finished before, so stage 2 always starts from the stage-1 model.
        string srt = Path.Combine(runDirectory, "srt");
        using CausalLanguageModel model = _models.Load("base");
        var loop = CreateLoop(model, LoopOptions(srt, includeFeedback: true));
        StageOne = await Timed("stage 1", () => loop.RunStageOneAsync(QuickstartData.Items("s1", _data.StageOne), progress.Stage("stage 1", StageOneGenerationShare), cancellationToken));
        _models.Save(model.Model, RunLayout.StageOneFolderName);
        evaluations.Add(await EvaluateAsync(RunLayout.StageOneFolderName, loop.WeightsId, cancellationToken));

        // The ablation answers the same instructions from the same base with the same seed: reuse the stored
        // responses (the run directory's resume path) instead of generating them again.
        string ablation = Path.Combine(runDirectory, "ablation");
        CopyResponses(srt, ablation);
        string ablationWeights;
        using (CausalLanguageModel ablationModel = _models.Load("base"))
        {
            var ablationLoop = CreateLoop(ablationModel, LoopOptions(ablation, includeFeedback: false));
            Ablation = await Timed("ablation", () => ablationLoop.RunStageOneAsync(
                QuickstartData.Items("s1", _data.StageOne), progress.Stage("ablation: refinements only", StageOneGenerationShare), cancellationToken));
            _models.Save(ablationModel.Model, "ablation");
            ablationWeights = ablationLoop.WeightsId;
        }

        evaluations.Add(await EvaluateAsync("ablation", ablationWeights, cancellationToken));

        StageTwo = await Timed("stage 2", () => loop.RunStageTwoAsync(QuickstartData.Items("s2", _data.StageTwo), progress.Stage("stage 2", StageTwoGenerationShare), cancellationToken));
        _models.Save(model.Model, RunLayout.StageTwoFolderName);
        evaluations.Add(await EvaluateAsync(RunLayout.StageTwoFolderName, loop.WeightsId, cancellationToken));
        return evaluations;
    }

    /// <summary>The loop settings; <paramref name="includeFeedback"/> false is the paper's "refinements only" ablation.</summary>
    public SelfRefinementOptions LoopOptions(string folder, bool includeFeedback) => new()
    {
        RunDirectory = folder,
        Seed = seed,
        Temperature = settings.ResponseTemperature,
        MaxNewTokens = StageOneMaxNewTokens,
        StageTwoMaxNewTokens = SelfRefinementMaxNewTokens,
        GenerationBatchSize = 100,
        IncludeFeedbackInStageOne = includeFeedback,

        // Stage 2's chosen text is the whole self-refinement (response, feedback, refinement), its rejected the
        // response alone: DPO then rewards the self-check that follows the answer. With the refinement alone as
        // chosen, DPO lowered the self-refined accuracy (seed 1: 91.0% -> 77.6%; docs/quickstart.md).
        IncludeFeedbackInChosen = true,
    };

    private async Task PretrainBaseAsync(CancellationToken cancellationToken)
    {
        if (_models.Exists("base"))
        {
            progress.Resumed("pretrain the base policy", "pretraining");
            return;
        }

        string tokenizerFolder = Path.Combine(_models.Root, "tokenizer");
        TinyTokenizer.Write(tokenizerFolder, QuickstartData.TokenizerCorpus);
        ModelTokenizer tokenizer = ModelTokenizer.FromPretrained(tokenizerFolder);
        int endOfTurn = tokenizer.TokenToId("<|im_end|>") ?? throw new InvalidOperationException("The tokenizer lacks <|im_end|>.");
        int pad = tokenizer.TokenToId("<|endoftext|>") ?? endOfTurn;
        int vocabulary = (tokenizer.VocabularySize + 63) / 64 * 64; // a round size for the matmuls
        using LlamaForCausalLM model = LlamaForCausalLM.Create(settings.ModelConfig(vocabulary, endOfTurn, pad), seed: seed);
        var trainer = new TorchSharpTrainer(model, tokenizer, ChatTemplate.Get(ModelStore.ChatTemplateName, tokenizer.EosToken), settings.Pretraining(seed));
        var request = new SupervisedTrainingRequest(_data.PretrainingExamples())
        {
            OutputDirectory = Path.Combine(_models.Root, "base-training"),
            Name = "pretraining",
        };
        await trainer.TrainSupervisedAsync(request, progress.Training("pretrain the base policy"), cancellationToken);
        _models.Save(model, "base");
    }

    private SelfRefinementLoop CreateLoop(CausalLanguageModel model, SelfRefinementOptions options)
    {
        var policy = new TorchSharpPolicyModel(model, new TorchSharpPolicyModelOptions { BatchSize = 100 });
        // The bundle constructor: training takes the model's lock, so it never overlaps the policy's generation.
        var trainer = new TorchSharpTrainer(model, settings.StageOne(seed), settings.StageTwo(seed));
        return new SelfRefinementLoop(policy, _critic, trainer, options, refiner: _critic);
    }

    // An evaluation is reused only when the weights that made it are those the model folder holds now.
    private async Task<Evaluation> EvaluateAsync(string name, string weights, CancellationToken cancellationToken)
    {
        string path = Path.Combine(runDirectory, RunLayout.EvaluationFolderName, name + ".json");
        string label = $"evaluate {name} on {_data.HeldOut.Count} held-out sums";
        if (Evaluation.Read(path, _data.HeldOut.Count, weights) is { } stored)
        {
            progress.Resumed(label, "evaluate " + name);
            return stored;
        }

        progress.Start("evaluate " + name);
        var start = Stopwatch.GetTimestamp();
        using CausalLanguageModel model = _models.Load(name);
        Action<int> bar = progress.Items(label, _data.HeldOut.Count);
        Evaluation evaluation = await Evaluation.RunAsync(name, model, _data.HeldOut, SelfRefinementMaxNewTokens, bar, cancellationToken) with { Weights = weights };
        evaluation.Write(path);
        progress.Finish();
        Seconds["evaluate " + name] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return evaluation;
    }

    private static void CopyResponses(string from, string to)
    {
        string source = Path.Combine(RunLayout.StageFolder(from, 1), RunLayout.ResponsesFileName);
        string target = Path.Combine(RunLayout.StageFolder(to, 1), RunLayout.ResponsesFileName);
        if (File.Exists(source) && !File.Exists(target))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }
    }

    private async Task<T> Timed<T>(string name, Func<Task<T>> step)
    {
        progress.Start(name);
        var start = Stopwatch.GetTimestamp();
        T result = await step();
        Seconds[name] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        progress.Finish();
        return result;
    }

    private Task Timed(string name, Func<Task> step) => Timed(name, async () =>
    {
        await step();
        return true;
    });
}
