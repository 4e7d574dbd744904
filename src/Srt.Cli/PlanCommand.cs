using System.CommandLine;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Cli;

/// <summary><c>srt plan</c>: the trainer's memory plan for a model and settings, before any training runs.</summary>
internal static class PlanCommand
{
    public static readonly string[] DTypes = ["float32", "bfloat16", "float16"];

    public static readonly string[] Devices = ["cpu", "cuda"];

    public static Command Create(CliHost host)
    {
        var o = new PlanOptions();
        var command = new Command("plan", "Estimate the peak memory of a training stage from the model's config.json and the trainer settings (weights, gradients, optimizer state, DPO reference, activations, loss), without loading weights or training.");
        foreach (Option option in o.All)
        {
            command.Options.Add(option);
        }

        CommandActions.Set(command, host, input =>
        {
            string model = input.ExistingFolder(o.Model);
            string configPath = Path.Combine(model, "config.json");
            if (!File.Exists(configPath))
            {
                throw new FileNotFoundException($"--model: {configPath} does not exist; plan reads the model's config.json.", configPath);
            }

            LlamaConfig config;
            try
            {
                config = LlamaConfig.Load(configPath);
            }
            catch (InvalidDataException exception)
            {
                throw new FormatException(exception.Message, exception);
            }

            bool stageTwo = input.Choice(o.Stage, ["1", "2"]) == "2";
            TorchSharpTrainerOptions trainer = stageTwo ? new PreferenceTrainerOptions() : new SupervisedTrainerOptions();
            trainer.GlobalBatchSize = input.AtLeast(o.BatchSize, 1);
            trainer.MicroBatchSize = input.Get(o.MicroBatchSize) ?? (trainer.GlobalBatchSize % 4 == 0 ? 4 : 1);
            trainer.MaxSequenceLength = input.AtLeast(o.MaxLength, 16);
            if (input.Get(o.LoraRank) is int rank)
            {
                trainer.Lora = new LoraOptions { Rank = rank };
                trainer.Lora.Validate();
            }

            trainer.GradientCheckpointing = !input.Get(o.NoGradientCheckpointing);
            trainer.Validate();
            int longest = input.Get(o.LongestSequence) ?? trainer.MaxSequenceLength;
            if (longest < 2)
            {
                throw new ArgumentException($"--longest-sequence must be at least 2, not {longest}.");
            }
            var dtype = input.Choice(o.DType, DTypes) switch { "bfloat16" => ScalarType.BFloat16, "float16" => ScalarType.Float16, _ => ScalarType.Float32 };
            var device = input.Choice(o.Device, Devices) == "cuda" ? DeviceType.CUDA : DeviceType.CPU;
            var plan = TrainingMemoryPlan.Estimate(
                config, trainer, longest, dtype, device);

            return new PreparedCommand(null, input.Get(o.Verbose), _ =>
            {
                host.Output.WriteLine($"Memory plan for {model}, stage {(stageTwo ? 2 : 1)}:");
                host.Output.WriteLine(plan.ToString());
                return Task.CompletedTask;
            });
        });
        return command;
    }
}

/// <summary>The options of <c>srt plan</c>; the trainer's defaults are those of <c>srt run</c>.</summary>
internal sealed class PlanOptions
{
    public Option<string?> Config { get; } = CommonOptions.Config();

    public Option<string?> Model { get; } = CommonOptions.Model("The Hugging Face model folder; only its config.json is read. Required.");

    public Option<string> Stage { get; } = new Option<string>("--stage") { Description = "The stage to plan: 1 (supervised) or 2 (DPO: chosen and rejected rows together).", DefaultValueFactory = _ => "1" }.AcceptOnlyFromAmong("1", "2");

    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Global batch size (the paper's).", DefaultValueFactory = _ => 32 };

    public Option<int?> MicroBatchSize { get; } = new("--micro-batch-size") { Description = "Sequences per forward pass. Default: 4 when it divides --batch-size, else 1." };

    public Option<int> MaxLength { get; } = new("--max-length") { Description = "Longest training sequence allowed, in tokens (the paper's).", DefaultValueFactory = _ => 8192 };

    public Option<int?> LongestSequence { get; } = new("--longest-sequence") { Description = "The longest sequence the data really has. Default: --max-length." };

    public Option<int?> LoraRank { get; } = new("--lora-rank") { Description = "Train LoRA adapters of this rank on every linear projection instead of all weights. Default: full fine-tuning (the paper's)." };

    public Option<string> DType { get; } = new Option<string>("--dtype") { Description = "The model's dtype.", DefaultValueFactory = _ => "float32" }.AcceptOnlyFromAmong(PlanCommand.DTypes);

    public Option<string> Device { get; } = new Option<string>("--device") { Description = "The device to plan for.", DefaultValueFactory = _ => "cpu" }.AcceptOnlyFromAmong(PlanCommand.Devices);

    public Option<bool> NoGradientCheckpointing { get; } = new("--no-gradient-checkpointing") { Description = "Plan without activation checkpointing (every layer's intermediates kept for backward)." };

    public Option<bool> Verbose { get; } = CommonOptions.Verbose();

    public IEnumerable<Option> All => [Config, Model, Stage, BatchSize, MicroBatchSize, MaxLength, LongestSequence, LoraRank, DType, Device, NoGradientCheckpointing, Verbose];
}
