using System.CommandLine;
using Srt.Datasets;

namespace Srt.Cli;

/// <summary>Options several commands share, with one description and one default each.</summary>
internal static class CommonOptions
{
    public const string ConfigName = "--config";

    public const string DefaultRunDirectory = "runs/srt";

    private static readonly Dictionary<string, InstructionColumns> ColumnPresets = new(StringComparer.OrdinalIgnoreCase)
    {
        ["auto"] = InstructionColumns.Detect,
        ["alpaca"] = InstructionColumns.Alpaca,
        ["sharegpt"] = InstructionColumns.ShareGpt,
        ["ultrafeedback"] = InstructionColumns.UltraFeedback,
        ["alpacaeval"] = InstructionColumns.AlpacaEval,
    };

    public static IReadOnlyCollection<string> ColumnNames { get; } = ["auto", "alpaca", "sharegpt", "ultrafeedback", "alpacaeval"];

    public static Option<string?> Config() => new(ConfigName)
    {
        Description = "A JSON file of option values, keyed by option name without the dashes (for example {\"model\": \"models/qwen\", \"epochs\": 1}). Options on the command line override it; relative paths in it are relative to the current folder.",
        HelpName = "file.json",
    };

    public static Option<string> RunDirectory() => new("--run")
    {
        Description = "The run directory: every stage's records, training checkpoints and evaluation answers. A rerun continues from it.",
        HelpName = "folder",
        DefaultValueFactory = _ => DefaultRunDirectory,
    };

    public static Option<string?> Model(string description) => new("--model") { Description = description, HelpName = "folder" };

    public static Option<string> Columns() => new Option<string>("--columns")
    {
        Description = "Which columns of the instruction files hold what: auto finds them by their common names (instruction, prompt, messages, conversations); the presets name the Hub's layouts.",
        DefaultValueFactory = _ => "auto",
    }.AcceptOnlyFromAmong([.. ColumnNames]);

    public static Option<string?> ChatTemplate() => new("--chat-template")
    {
        Description = "The policy's chat format: chatml, llama3, tulu, mistral, mistral-v3 or phi3. Default: the one tokenizer_config.json names, else detected from the model.",
        HelpName = "name",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "CPU threads libtorch uses. Default: all cores.",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static Option<int> MaxNewTokens() => new("--max-new-tokens")
    {
        Description = "Policy tokens per direct answer; stage-2 and self-refined answers (response, feedback and refinement in one) get 3×.",
        DefaultValueFactory = _ => 2048,
    };

    public static Option<bool> Verbose() => new("--verbose")
    {
        Description = "Log at Debug and print full errors (stack traces).",
    };

    public static InstructionColumns ToColumns(string name) => ColumnPresets[name];
}
