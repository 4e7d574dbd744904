using Srt.Datasets;
using Srt.Evaluation;
using Srt.TorchSharp.Training;

namespace Srt.Cli;

/// <summary>The checked settings of <c>srt run</c>, with its instruction sets read (a bad file ends the command before anything runs).</summary>
internal sealed class RunSettings
{
    public static readonly string[] Stages = ["1", "2", "both"];

    public required string ModelFolder { get; init; }

    public required string RunDirectory { get; init; }

    public required bool RunStageOne { get; init; }

    public required bool RunStageTwo { get; init; }

    public required IReadOnlyList<InstructionItem> StageOneItems { get; init; }

    public required IReadOnlyList<InstructionItem> StageTwoItems { get; init; }

    /// <summary>Gets the instructions of each self-improvement round after stage 2, round 1 first.</summary>
    public IReadOnlyList<IReadOnlyList<InstructionItem>> RoundItems { get; init; } = [];

    public required IReadOnlyList<EvaluationItem>? EvaluationItems { get; init; }

    public required EndpointOptions.Settings Critic { get; init; }

    public required SelfRefinementOptions Loop { get; init; }

    public required SupervisedTrainerOptions StageOneTrainer { get; init; }

    public required PreferenceTrainerOptions StageTwoTrainer { get; init; }

    public required int Threads { get; init; }

    public string? ChatTemplate { get; init; }

    public bool Verbose { get; init; }

    public static RunSettings Read(RunOptions o, CommandInput input, Func<string, string?> environment)
    {
        string model = input.ExistingFolder(o.Model);
        string stage = input.Choice(o.Stage, Stages);
        InstructionColumns columns = CommonOptions.ToColumns(input.Choice(o.Columns, CommonOptions.ColumnNames));
        IReadOnlyList<InstructionItem> instructions = InstructionDataset.ReadInstructions(input.ExistingFile(o.Instructions), columns);
        IReadOnlyList<InstructionItem>? second = input.Get(o.StageTwoInstructions) is null ? null : InstructionDataset.ReadInstructions(input.ExistingFile(o.StageTwoInstructions), columns);
        IReadOnlyList<InstructionItem> one = stage == "2" ? [] : instructions;
        IReadOnlyList<InstructionItem> two = stage == "1" ? [] : second ?? instructions;
        if (stage == "both" && second is null)
        {
            // Stage 2 must see new instructions: the first half trains stage 1, the second half stage 2.
            if (instructions.Count < 2)
            {
                throw new ArgumentException($"{input.Get(o.Instructions)} needs at least 2 instructions for --stage both (one per stage); it has {instructions.Count}. Or pass --stage2-instructions.");
            }

            int half = (instructions.Count + 1) / 2;
            (one, two) = (instructions.Take(half).ToList(), instructions.Skip(half).ToList());
        }

        string[] roundFiles = input.Get(o.Rounds) ?? [];
        if (roundFiles.Length > 0 && stage == "1")
        {
            throw new ArgumentException($"{o.Rounds.Name} runs rounds after stage 2; with --stage 1 there is none. Use --stage 2 or both.");
        }

        var rounds = roundFiles.Select(file =>
        {
            string path = Path.GetFullPath(file);
            return File.Exists(path)
                ? InstructionDataset.ReadInstructions(path, columns)
                : throw new FileNotFoundException($"{o.Rounds.Name}: the file {path} does not exist.", path);
        }).ToList();

        int maxNewTokens = input.AtLeast(o.MaxNewTokens, 1);
        var loop = new SelfRefinementOptions
        {
            RunDirectory = input.Get(o.RunDirectory),
            Temperature = (float)input.Get(o.Temperature),
            MaxNewTokens = maxNewTokens,
            StageTwoMaxNewTokens = 3 * maxNewTokens,
            Seed = input.Get(o.Seed),
            GenerationBatchSize = input.AtLeast(o.GenerationBatchSize, 1),
            MaxConcurrentCriticCalls = input.AtLeast(o.CriticConcurrency, 1),
            SystemPrompt = input.Get(o.SystemPrompt),
        };
        loop.Validate();
        int threads = input.AtLeast(o.Threads, 1);
        var stageOne = Trainer(new SupervisedTrainerOptions(), o, input, threads);
        stageOne.Epochs = input.AtLeast(o.Epochs, 1);
        stageOne.LearningRate = input.Positive(o.LearningRate);
        var stageTwo = Trainer(new PreferenceTrainerOptions(), o, input, threads);
        stageTwo.Epochs = input.AtLeast(o.StageTwoEpochs, 1);
        stageTwo.LearningRate = input.Positive(o.StageTwoLearningRate);
        stageTwo.DpoBeta = input.Positive(o.DpoBeta);
        return new RunSettings
        {
            ModelFolder = model,
            RunDirectory = Path.GetFullPath(loop.RunDirectory!),
            RunStageOne = stage != "2",
            RunStageTwo = stage != "1",
            StageOneItems = one,
            StageTwoItems = two,
            RoundItems = rounds,
            EvaluationItems = input.Get(o.EvalSet) is null ? null : InstructionDataset.ReadEvaluationItems(input.ExistingFile(o.EvalSet), columns),
            Critic = o.Critic.Read(input, environment),
            Loop = loop,
            StageOneTrainer = stageOne,
            StageTwoTrainer = stageTwo,
            Threads = threads,
            ChatTemplate = input.Get(o.ChatTemplate),
            Verbose = input.Get(o.Verbose),
        };
    }

    private static T Trainer<T>(T trainer, RunOptions o, CommandInput input, int threads)
        where T : TorchSharpTrainerOptions
    {
        trainer.GlobalBatchSize = input.AtLeast(o.BatchSize, 1);
        int micro = input.Get(o.MicroBatchSize) ?? (trainer.GlobalBatchSize % 4 == 0 ? 4 : 1);
        if (micro < 1 || trainer.GlobalBatchSize % micro != 0)
        {
            throw new ArgumentException($"--micro-batch-size {micro} must be at least 1 and divide --batch-size {trainer.GlobalBatchSize}.");
        }

        trainer.MicroBatchSize = micro;
        trainer.MaxSequenceLength = input.AtLeast(o.MaxLength, 16);
        trainer.SaveSteps = input.AtLeast(o.SaveSteps, 1);
        trainer.Threads = threads;
        trainer.Validate();
        return trainer;
    }
}
