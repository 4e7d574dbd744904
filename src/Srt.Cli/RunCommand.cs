using System.CommandLine;
using Srt.Datasets;
using Srt.Evaluation;

namespace Srt.Cli;

/// <summary><c>srt run</c>: stage 1 and/or stage 2 on a Hugging Face model folder with an OpenAI-compatible critic.</summary>
internal static class RunCommand
{
    public static Command Create(CliHost host)
    {
        var o = new RunOptions();
        var command = new Command("run", "Run stage 1 (learn from the critic's feedback) and/or stage 2 (learn from self-made preference pairs) on a Hugging Face model folder. Resumable: rerun the same command and it continues from the run directory without paying twice.");
        foreach (Option option in o.All)
        {
            command.Options.Add(option);
        }

        CommandActions.Set(command, host, input =>
        {
            RunSettings settings = RunSettings.Read(o, input, host.Environment);
            return new PreparedCommand(settings.RunDirectory, settings.Verbose, cancellationToken => new RunExecution(settings, host).ExecuteAsync(cancellationToken));
        });
        return command;
    }
}

/// <summary>The options of <c>srt run</c>; defaults are the paper's where it gives one.</summary>
internal sealed class RunOptions
{
    public Option<string?> Config { get; } = CommonOptions.Config();

    public Option<string?> Model { get; } = CommonOptions.Model("The Hugging Face model folder of the policy (config.json, *.safetensors, tokenizer files). Required.");

    public Option<string?> Instructions { get; } = new("--instructions")
    {
        Description = "Instructions (JSON Lines, JSON array or Parquet). With --stage both and no --stage2-instructions, the first half trains stage 1 and the second half stage 2. Required.",
        HelpName = "file",
    };

    public Option<string?> StageTwoInstructions { get; } = new("--stage2-instructions")
    {
        Description = "New instructions for stage 2 (with --stage both, --instructions then all go to stage 1).",
        HelpName = "file",
    };

    public Option<string[]?> Rounds { get; } = new("--rounds")
    {
        Description = "Further self-improvement rounds after stage 2, one instruction file per round (new instructions each): round k answers, " +
            "critiques and refines itself as stage 2 does, from round k-1's model, and trains DPO against that model. Default: none.",
        HelpName = "file",
        AllowMultipleArgumentsPerToken = true,
    };

    public Option<string> Stage { get; } = new Option<string>("--stage")
    {
        Description = "Which stages to run: 1, 2 or both. Stage 2 alone continues a run directory whose stage 1 finished (its weights are restored).",
        DefaultValueFactory = _ => "both",
    }.AcceptOnlyFromAmong(RunSettings.Stages);

    public Option<string> Columns { get; } = CommonOptions.Columns();

    public Option<string?> EvalSet { get; } = new("--eval-set")
    {
        Description = "An evaluation set: the base model (before stage 1) and each trained stage and round answer it as they go, for 'srt eval' to judge. Default: none.",
        HelpName = "file",
    };

    public Option<string> RunDirectory { get; } = CommonOptions.RunDirectory();

    public EndpointOptions Critic { get; } = new("critic", "gpt-4-turbo");

    public Option<int> MaxNewTokens { get; } = CommonOptions.MaxNewTokens();

    public Option<double> Temperature { get; } = new("--temperature") { Description = "Policy sampling temperature (the paper's).", DefaultValueFactory = _ => 0.7 };

    public Option<long?> Seed { get; } = new("--seed") { Description = "Sampling seed. Default: none (random)." };

    public Option<int> GenerationBatchSize { get; } = new("--generation-batch-size") { Description = "Instructions the policy answers at once.", DefaultValueFactory = _ => 8 };

    public Option<int> CriticConcurrency { get; } = new("--critic-concurrency") { Description = "Critic calls in flight at once.", DefaultValueFactory = _ => 8 };

    public Option<string?> SystemPrompt { get; } = new("--system-prompt") { Description = "A system prompt for the policy. Default: none.", HelpName = "text" };

    public Option<int> Epochs { get; } = new("--epochs") { Description = "Stage-1 epochs (the paper's).", DefaultValueFactory = _ => 5 };

    public Option<double> LearningRate { get; } = new("--learning-rate") { Description = "Stage-1 peak learning rate, cosine schedule with 10% warm-up (the paper's).", DefaultValueFactory = _ => 1e-5 };

    public Option<int> StageTwoEpochs { get; } = new("--stage2-epochs") { Description = "Stage-2 (DPO) epochs (the paper's).", DefaultValueFactory = _ => 1 };

    public Option<double> StageTwoLearningRate { get; } = new("--stage2-learning-rate") { Description = "Stage-2 peak learning rate (the paper's).", DefaultValueFactory = _ => 5e-7 };

    public Option<double> DpoBeta { get; } = new("--dpo-beta") { Description = "DPO β of stage 2 (the paper's).", DefaultValueFactory = _ => 0.01 };

    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Global batch size of both stages (the paper's).", DefaultValueFactory = _ => 32 };

    public Option<int?> MicroBatchSize { get; } = new("--micro-batch-size") { Description = "Sequences per forward pass; gradients accumulate up to --batch-size. Default: 4 when it divides --batch-size, else 1." };

    public Option<int> MaxLength { get; } = new("--max-length") { Description = "Longest training sequence in tokens (the paper's).", DefaultValueFactory = _ => 8192 };

    public Option<int> SaveSteps { get; } = new("--save-steps") { Description = "Optimizer steps between training checkpoints (a killed training resumes from the last).", DefaultValueFactory = _ => 500 };

    public Option<int> Threads { get; } = CommonOptions.Threads();

    public Option<string?> ChatTemplate { get; } = CommonOptions.ChatTemplate();

    public Option<bool> Verbose { get; } = CommonOptions.Verbose();

    public IEnumerable<Option> All =>
    [
        Config, Model, Instructions, StageTwoInstructions, Rounds, Stage, Columns, EvalSet, RunDirectory, .. Critic.All, MaxNewTokens, Temperature, Seed,
        GenerationBatchSize, CriticConcurrency, SystemPrompt, Epochs, LearningRate, StageTwoEpochs, StageTwoLearningRate, DpoBeta, BatchSize,
        MicroBatchSize, MaxLength, SaveSteps, Threads, ChatTemplate, Verbose,
    ];
}
