using System.CommandLine;

namespace Srt.Cli;

/// <summary><c>srt eval</c>: pairwise win rates and task accuracy of a run directory's answer sets, as a table and a chart.</summary>
internal static class EvalCommand
{
    public static Command Create(CliHost host)
    {
        var o = new EvalOptions();
        var command = new Command("eval", "Judge every answer set stored in the run directory ('srt run --eval-set', or --model here) against the baseline's answers or each item's reference, both orders, and compute task accuracy where items carry an exact answer. Writes {run}/eval/comparison.md and .json, prints the table, and with --chart draws it.");
        foreach (Option option in o.All)
        {
            command.Options.Add(option);
        }

        CommandActions.Set(command, host, input =>
        {
            EvalSettings settings = EvalSettings.Read(o, input, host.Environment);
            return new PreparedCommand(settings.RunDirectory, settings.Verbose, cancellationToken => new EvalExecution(settings, host.Output).ExecuteAsync(cancellationToken));
        });
        return command;
    }
}

/// <summary>The options of <c>srt eval</c>.</summary>
internal sealed class EvalOptions
{
    public static readonly string[] ModeNames = ["direct", "self-refined", "both"];

    public Option<string?> Config { get; } = CommonOptions.Config();

    public Option<string> RunDirectory { get; } = CommonOptions.RunDirectory();

    public Option<string?> EvalSet { get; } = new("--eval-set")
    {
        Description = "The evaluation set (JSON Lines, JSON array or Parquet): instructions, optional reference answers (reference, or AlpacaEval's output) to judge against, optional exact answers (answer, expected) for task accuracy. Required.",
        HelpName = "file",
    };

    public Option<string> Columns { get; } = CommonOptions.Columns();

    public Option<string?> Model { get; } = CommonOptions.Model("A Hugging Face model folder to answer the evaluation set first, stored as --checkpoint (for example the base model, or a model trained elsewhere). Default: none, judge the stored answers only.");

    public Option<string> Checkpoint { get; } = new("--checkpoint") { Description = "The name of --model's answer set.", DefaultValueFactory = _ => "model", HelpName = "name" };

    public Option<string> Modes { get; } = new Option<string>("--modes")
    {
        Description = "How --model answers: direct, self-refined (response → feedback → refinement; the refinement is the answer) or both.",
        DefaultValueFactory = _ => "direct",
    }.AcceptOnlyFromAmong(ModeNames);

    public Option<int> MaxNewTokens { get; } = CommonOptions.MaxNewTokens();

    public Option<long> Seed { get; } = new("--seed") { Description = "Sampling seed of --model's answers (greedy at temperature 0 anyway).", DefaultValueFactory = _ => 0 };

    public Option<int> Threads { get; } = CommonOptions.Threads();

    public Option<string?> ChatTemplate { get; } = CommonOptions.ChatTemplate();

    public Option<string> Baseline { get; } = new("--baseline")
    {
        Description = "The checkpoint whose direct answers are the reference for items without one ('srt run' stores base, stage1, stage2).",
        DefaultValueFactory = _ => EvaluationCheckpoints.Base,
        HelpName = "checkpoint",
    };

    public EndpointOptions Judge { get; } = new("judge", "gpt-4-turbo");

    public Option<bool> NoJudge { get; } = new("--no-judge") { Description = "Skip pairwise judging (no endpoint, no key): task accuracy and lengths only." };

    public Option<string?> Chart { get; } = new("--chart")
    {
        Description = "Also draw the win rates and accuracies as a bar chart (PNG). Default: none.",
        HelpName = "out.png",
    };

    public Option<bool> Verbose { get; } = CommonOptions.Verbose();

    public IEnumerable<Option> All =>
        [Config, RunDirectory, EvalSet, Columns, Model, Checkpoint, Modes, MaxNewTokens, Seed, Threads, ChatTemplate, Baseline, .. Judge.All, NoJudge, Chart, Verbose];
}
