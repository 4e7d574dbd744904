using Srt.Datasets;
using Srt.Evaluation;

namespace Srt.Cli;

/// <summary>The checked settings of <c>srt eval</c>, with its evaluation set read.</summary>
internal sealed class EvalSettings
{
    public required string RunDirectory { get; init; }

    public required IReadOnlyList<EvaluationItem> Items { get; init; }

    public string? ModelFolder { get; init; }

    public required string Checkpoint { get; init; }

    public required IReadOnlyList<AnswerMode> Modes { get; init; }

    public required int MaxNewTokens { get; init; }

    public required long Seed { get; init; }

    public required int Threads { get; init; }

    public string? ChatTemplate { get; init; }

    public required string Baseline { get; init; }

    public EndpointOptions.Settings? Judge { get; init; }

    public string? ChartPath { get; init; }

    public bool Verbose { get; init; }

    public static EvalSettings Read(EvalOptions o, CommandInput input, Func<string, string?> environment)
    {
        InstructionColumns columns = CommonOptions.ToColumns(input.Choice(o.Columns, CommonOptions.ColumnNames));
        string? model = input.Get(o.Model) is null ? null : input.ExistingFolder(o.Model);
        string modes = input.Choice(o.Modes, EvalOptions.ModeNames);
        string? chart = input.Get(o.Chart) is string path ? Path.GetFullPath(path) : null;
        if (chart is not null && !string.Equals(Path.GetExtension(chart), ".png", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"--chart {chart} must name a .png file.");
        }

        return new EvalSettings
        {
            RunDirectory = Path.GetFullPath(input.Get(o.RunDirectory)),
            Items = InstructionDataset.ReadEvaluationItems(input.ExistingFile(o.EvalSet), columns),
            ModelFolder = model,
            Checkpoint = CheckpointName(input.Get(o.Checkpoint), "--checkpoint"),
            Modes = modes switch { "direct" => [AnswerMode.Direct], "self-refined" => [AnswerMode.SelfRefined], _ => [AnswerMode.Direct, AnswerMode.SelfRefined] },
            MaxNewTokens = input.AtLeast(o.MaxNewTokens, 1),
            Seed = input.Get(o.Seed),
            Threads = input.AtLeast(o.Threads, 1),
            ChatTemplate = input.Get(o.ChatTemplate),
            Baseline = CheckpointName(input.Get(o.Baseline), "--baseline"),
            Judge = input.Get(o.NoJudge) ? null : o.Judge.Read(input, environment),
            ChartPath = chart,
            Verbose = input.Get(o.Verbose),
        };
    }

    private static string CheckpointName(string name, string option) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
            ? name
            : throw new ArgumentException($"{option} '{name}' must be letters, digits, '.', '_' or '-'.");
}
