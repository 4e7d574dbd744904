using System.CommandLine;
using Srt.Datasets;

namespace Srt.Cli;

/// <summary><c>srt export</c>: a run directory's training data as TRL datasets with their configs, for a GPU machine.</summary>
internal static class ExportCommand
{
    public static Command Create(CliHost host)
    {
        var o = new ExportOptions();
        var command = new Command("export", "Export the run directory's stage-1 sequences (SFT) and stage-2 pairs (DPO) for Hugging Face TRL: per stage a folder with train.jsonl, sft.yaml or dpo.yaml with the paper's settings, accelerate.yaml, and the command to run there.");
        foreach (Option option in o.All)
        {
            command.Options.Add(option);
        }

        CommandActions.Set(command, host, input =>
        {
            string run = Path.GetFullPath(input.Get(o.RunDirectory));
            if (!Directory.Exists(run))
            {
                throw new DirectoryNotFoundException($"--run: the run directory {run} does not exist.");
            }

            string stage = input.Choice(o.Stage, RunSettings.Stages);
            string output = Path.GetFullPath(input.Get(o.Output));
            TrlExportOptions stageOne = Options(o, input, input.Require(o.Model));
            stageOne.StageOneEpochs = input.AtLeast(o.Epochs, 1);
            stageOne.StageOneLearningRate = input.Positive(o.LearningRate);
            stageOne.Validate();

            // TRL runs from each stage's folder, so stage 2 starts by default from where stage 1's run leaves its model.
            TrlExportOptions stageTwo = Options(o, input, input.Get(o.StageTwoModel) ?? (stage == "2" ? input.Require(o.Model) : $"../{RunLayout.StageOneFolderName}/output"));
            stageTwo.StageTwoEpochs = input.AtLeast(o.StageTwoEpochs, 1);
            stageTwo.StageTwoLearningRate = input.Positive(o.StageTwoLearningRate);
            stageTwo.StageTwoBeta = input.Positive(o.DpoBeta);
            stageTwo.Validate();
            return new PreparedCommand(run, input.Get(o.Verbose), _ =>
            {
                var written = new List<TrlExport>();
                if (stage != "2")
                {
                    written.Add(Report(host.Output, "stage 1 (SFT)", RunDirectoryExport.ExportStageOneForTrl(run, Path.Combine(output, RunLayout.StageOneFolderName), stageOne), "examples"));
                }

                if (stage != "1")
                {
                    written.Add(Report(host.Output, "stage 2 (DPO)", RunDirectoryExport.ExportStageTwoForTrl(run, Path.Combine(output, RunLayout.StageTwoFolderName), stageTwo), "pairs"));
                }

                return Task.CompletedTask;
            });
        });
        return command;
    }

    private static TrlExportOptions Options(ExportOptions o, CommandInput input, string model)
    {
        var profile = input.Choice(o.Profile, ExportOptions.Profiles) == "single-gpu" ? AccelerateProfile.SingleGpu : AccelerateProfile.MultiGpu;
        return new TrlExportOptions
        {
            ModelNameOrPath = model,
            Profile = profile,
            GpuCount = input.Get(o.Gpus) ?? (profile == AccelerateProfile.SingleGpu ? 1 : 8),
            PerDeviceBatchSize = input.AtLeast(o.PerDeviceBatchSize, 1),
            GlobalBatchSize = input.AtLeast(o.BatchSize, 1),
            MaxLength = input.AtLeast(o.MaxLength, 16),
            Seed = input.Get(o.Seed),
        };
    }

    private static TrlExport Report(TextWriter output, string what, TrlExport export, string unit)
    {
        output.WriteLine($"{what}: {export.Count} {unit} in {export.Folder}");
        output.WriteLine($"  run there: {export.Command}");
        return export;
    }
}

/// <summary>The options of <c>srt export</c>; training defaults are the paper's.</summary>
internal sealed class ExportOptions
{
    public static readonly string[] Profiles = ["multi-gpu", "single-gpu"];

    public Option<string?> Config { get; } = CommonOptions.Config();

    public Option<string> RunDirectory { get; } = CommonOptions.RunDirectory();

    public Option<string> Output { get; } = new("--out") { Description = "The export folder; stage1/ and stage2/ are written (replaced) in it.", DefaultValueFactory = _ => "trl", HelpName = "folder" };

    public Option<string> Stage { get; } = new Option<string>("--stage") { Description = "Which stages to export: 1, 2 or both.", DefaultValueFactory = _ => "both" }.AcceptOnlyFromAmong(RunSettings.Stages);

    public Option<string?> Model { get; } = new("--model")
    {
        Description = "The model TRL trains in stage 1: a Hub id or a folder on the training machine. Required.",
        HelpName = "id-or-folder",
    };

    public Option<string?> StageTwoModel { get; } = new("--stage2-model")
    {
        Description = "The model stage 2 starts from. Default: ../stage1/output (stage 1's TRL output), or --model with --stage 2.",
        HelpName = "id-or-folder",
    };

    public Option<string> Profile { get; } = new Option<string>("--profile") { Description = "The Accelerate profile: multi-gpu (DeepSpeed ZeRO-3) or single-gpu.", DefaultValueFactory = _ => "multi-gpu" }.AcceptOnlyFromAmong(Profiles);

    public Option<int?> Gpus { get; } = new("--gpus") { Description = "GPUs (processes). Default: 8 for multi-gpu, 1 for single-gpu." };

    public Option<int> PerDeviceBatchSize { get; } = new("--per-device-batch-size") { Description = "Sequences per GPU per step; gradient accumulation makes up --batch-size.", DefaultValueFactory = _ => 1 };

    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Global batch size (the paper's).", DefaultValueFactory = _ => 32 };

    public Option<int> MaxLength { get; } = new("--max-length") { Description = "Longest sequence in tokens (the paper's).", DefaultValueFactory = _ => 8192 };

    public Option<int> Epochs { get; } = new("--epochs") { Description = "Stage-1 epochs (the paper's).", DefaultValueFactory = _ => 5 };

    public Option<double> LearningRate { get; } = new("--learning-rate") { Description = "Stage-1 peak learning rate (the paper's).", DefaultValueFactory = _ => 1e-5 };

    public Option<int> StageTwoEpochs { get; } = new("--stage2-epochs") { Description = "Stage-2 epochs (the paper's).", DefaultValueFactory = _ => 1 };

    public Option<double> StageTwoLearningRate { get; } = new("--stage2-learning-rate") { Description = "Stage-2 peak learning rate (the paper's).", DefaultValueFactory = _ => 5e-7 };

    public Option<double> DpoBeta { get; } = new("--dpo-beta") { Description = "DPO β (the paper's).", DefaultValueFactory = _ => 0.01 };

    public Option<int> Seed { get; } = new("--seed") { Description = "TRL's seed.", DefaultValueFactory = _ => 42 };

    public Option<bool> Verbose { get; } = CommonOptions.Verbose();

    public IEnumerable<Option> All =>
        [Config, RunDirectory, Output, Stage, Model, StageTwoModel, Profile, Gpus, PerDeviceBatchSize, BatchSize, MaxLength, Epochs, LearningRate, StageTwoEpochs, StageTwoLearningRate, DpoBeta, Seed, Verbose];
}
