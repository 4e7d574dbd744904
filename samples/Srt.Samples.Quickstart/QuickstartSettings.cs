using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Training;

namespace Srt.Samples.Quickstart;

/// <summary>Sizes and schedules of one quickstart run: the default (a few minutes) or <c>--quick</c> (a smoke run).</summary>
internal sealed record QuickstartSettings
{
    public required string Name { get; init; }

    public required int HiddenSize { get; init; }

    public required int Layers { get; init; }

    public required int Heads { get; init; }

    /// <summary>Gets the demonstrations the base model is pretrained on (equations, checks and one-shot sums; no feedback).</summary>
    public required int PretrainingExamples { get; init; }

    public required int PretrainingEpochs { get; init; }

    public required int StageOneItems { get; init; }

    public required int StageTwoItems { get; init; }

    public required int HeldOutItems { get; init; }

    /// <summary>Gets the fewest numbers in a sum of the task.</summary>
    public int MinTerms { get; init; } = 4;

    /// <summary>Gets the most numbers in a sum of the task.</summary>
    public int MaxTerms { get; init; } = 6;

    public int StageOneEpochs { get; init; } = 5;

    public int StageTwoEpochs { get; init; } = 2;

    /// <summary>Gets the policy's sampling temperature in both stages (the paper's 0.7).</summary>
    public float ResponseTemperature { get; init; } = 0.7f;

    /// <summary>Gets the torch CPU threads of training (generation uses the process setting).</summary>
    public int Threads { get; init; } = QuickstartArguments.DefaultThreads;

    // Seconds per phase of the default run as measured (results.json's "seconds" of the timed seed-1 run in
    // docs/quickstart.md) on a quiet 2-core machine with two torch threads; the estimate rescales them by the speed it
    // measures, so after the first seconds only their ratios matter. Declared before Default and Quick: static
    // initializers run in order, and theirs read it.
    private static readonly (string, double)[] DefaultPhaseSeconds =
    [
        ("pretraining", 107), ("evaluate base", 2), ("stage 1", 140), ("evaluate stage1", 7),
        ("ablation", 54), ("evaluate ablation", 2), ("stage 2", 24), ("evaluate stage2", 8),
    ];

    /// <summary>
    /// Gets the phases of a run in order, each with its typical seconds on a quiet 2-core machine: the progress
    /// display's time-left estimate starts from these and rescales them by the speed measured as the run goes.
    /// </summary>
    public IReadOnlyList<(string Phase, double Seconds)> PhaseSeconds { get; init; } = DefaultPhaseSeconds;

    public static QuickstartSettings Default { get; } = new()
    {
        Name = "default", HiddenSize = 128, Layers = 4, Heads = 4, PretrainingExamples = 6000, PretrainingEpochs = 3,
        StageOneItems = 1600, StageTwoItems = 400, HeldOutItems = 500,
    };

    public static QuickstartSettings Quick { get; } = new()
    {
        Name = "quick", HiddenSize = 64, Layers = 2, Heads = 2, PretrainingExamples = 256, PretrainingEpochs = 1,
        StageOneItems = 32, StageTwoItems = 32, HeldOutItems = 32, StageOneEpochs = 1, StageTwoEpochs = 1,
        PhaseSeconds = [("pretraining", 2), ("evaluate base", 1), ("stage 1", 2), ("evaluate stage1", 1), ("ablation", 1), ("evaluate ablation", 1), ("stage 2", 1), ("evaluate stage2", 1)],
    };

    /// <summary>The Llama architecture of the policy.</summary>
    public LlamaConfig ModelConfig(int vocabularySize, int endOfTurnId, int padId) => new()
    {
        VocabSize = vocabularySize,
        HiddenSize = HiddenSize,
        IntermediateSize = HiddenSize * 3,
        NumHiddenLayers = Layers,
        NumAttentionHeads = Heads,
        MaxPositionEmbeddings = 512,
        TieWordEmbeddings = true,
        EosTokenIds = [endOfTurnId],
        PadTokenId = padId,
        TorchDtype = "float32",
    };

    /// <summary>Pretraining of the base model: plain SFT on demonstrations.</summary>
    public SupervisedTrainerOptions Pretraining(int seed) => Common(new SupervisedTrainerOptions(), seed, learningRate: 3e-3, epochs: PretrainingEpochs, batch: 32);

    /// <summary>
    /// Stage 1: SFT on response → feedback → refinement (the paper's recipe, scaled to a tiny model). Batch 8 at lr 3e-3
    /// (1,000 steps): with batch 16 at lr 2e-3 (500 steps) the model learned to find the next number of its check in
    /// some seeds and not in others (seed 2: 66.4% self-refined, below the ablation; docs/developer/quickstart-design.md).
    /// </summary>
    public SupervisedTrainerOptions StageOne(int seed) => Common(new SupervisedTrainerOptions(), seed, learningRate: 3e-3, epochs: StageOneEpochs, batch: 8);

    /// <summary>
    /// Stage 2: DPO on the model's own pairs (chosen = its refinement, rejected = its first answer), with an NLL term on
    /// the chosen answer (<see cref="PreferenceTrainerOptions.DpoNllWeight"/>) and the answers scored as prefixes
    /// (<see cref="PreferenceTrainerOptions.DpoScoresEndOfTurn"/> off): the stage-1 policy writes feedback after its
    /// first answer, so an end of turn right after it is not what either answer ends with.
    /// </summary>
    public PreferenceTrainerOptions StageTwo(int seed)
    {
        PreferenceTrainerOptions options = Common(new PreferenceTrainerOptions(), seed, learningRate: 1e-4, epochs: StageTwoEpochs, batch: 16);
        options.DpoBeta = 0.1;
        options.DpoNllWeight = 1;
        options.DpoScoresEndOfTurn = false;
        return options;
    }

    // The settings both stages share, set on the options of the stage's own kind.
    private T Common<T>(T options, int seed, double learningRate, int epochs, int batch)
        where T : TorchSharpTrainerOptions
    {
        options.LearningRate = learningRate;
        options.Epochs = epochs;
        options.GlobalBatchSize = batch;
        options.MicroBatchSize = batch;
        options.WarmupRatio = 0.1;
        options.WeightDecay = 0.01;
        options.MaxSequenceLength = 256;
        options.Seed = seed;
        options.SaveSteps = 0;
        options.SaveTotalLimit = 1;
        options.LengthBucketBatches = 1;
        options.Threads = Threads;

        // Set here rather than inherited, so the sample's results do not move when a library default does.
        // Packed rows (the library's default): no padding work; loss and gradients equal the padded layout's.
        options.BatchLayout = BatchLayout.Packed;

        // Off: activation checkpointing trades one more forward pass per step for activation memory, and a
        // 0.9 M-parameter model at 256 tokens has none to save (docs/quickstart.md: the phase times with it on).
        options.GradientCheckpointing = false;
        options.WeightDecayExcludesBiasAndNorm = true;
        return options;
    }
}
