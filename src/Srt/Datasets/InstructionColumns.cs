namespace Srt.Datasets;

/// <summary>
/// Which columns of an instruction file hold what. A column left <see langword="null"/> is found by its common names
/// (see <see cref="InstructionDataset"/>); a column that is set is read under that name only.
/// </summary>
/// <remarks>
/// The presets name the layouts instruction data comes in on the Hugging Face Hub: <see cref="Alpaca"/>,
/// <see cref="ShareGpt"/>, <see cref="UltraFeedback"/> and <see cref="AlpacaEval"/>. <see cref="Detect"/> finds each
/// column by its common names, which reads all of them and TRL's prompt and messages layouts.
/// </remarks>
public sealed record InstructionColumns
{
    /// <summary>Gets the layout that finds every column by its common names.</summary>
    public static InstructionColumns Detect { get; } = new();

    /// <summary>Gets Alpaca's layout: <c>instruction</c>, an optional <c>input</c>, and <c>output</c> as the reference answer.</summary>
    public static InstructionColumns Alpaca { get; } = new() { Instruction = "instruction", Input = "input", Reference = "output" };

    /// <summary>Gets ShareGPT's layout: <c>conversations</c> of <c>{"from", "value"}</c> turns, whose last human turn is the instruction.</summary>
    public static InstructionColumns ShareGpt { get; } = new() { Instruction = "conversations" };

    /// <summary>Gets UltraFeedback's layout: <c>prompt</c>, keyed by <c>prompt_id</c>.</summary>
    public static InstructionColumns UltraFeedback { get; } = new() { Instruction = "prompt", Id = "prompt_id" };

    /// <summary>Gets AlpacaEval's evaluation set: <c>instruction</c>, with the baseline's <c>output</c> as the reference answer.</summary>
    public static InstructionColumns AlpacaEval { get; } = new() { Instruction = "instruction", Reference = "output" };

    /// <summary>Gets the column holding the instruction: a string, or a list of messages whose last user message is the instruction.</summary>
    /// <value>The default (null) is the first of <c>instruction</c>, <c>prompt</c>, <c>messages</c> and <c>conversations</c> that a record has.</value>
    public string? Instruction { get; init; }

    /// <summary>Gets the column holding Alpaca's optional input, appended to the instruction after a blank line when not empty.</summary>
    /// <value>The default (null) is <c>input</c> when the instruction came from <c>instruction</c>.</value>
    public string? Input { get; init; }

    /// <summary>Gets the column holding the item's id (a string or a number). A record without one gets an id derived from its instruction.</summary>
    /// <value>The default (null) is the first of <c>id</c> and <c>prompt_id</c> that a record has.</value>
    public string? Id { get; init; }

    /// <summary>Gets the column holding an evaluation item's reference answer.</summary>
    /// <value>The default (null) is the first of <c>reference</c> and <c>output</c> that a record has.</value>
    public string? Reference { get; init; }

    /// <summary>Gets the column holding an evaluation item's exact answer, for task accuracy.</summary>
    /// <value>The default (null) is the first of <c>answer</c> and <c>expected</c> that a record has.</value>
    public string? Answer { get; init; }
}
