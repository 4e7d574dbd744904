using System.Text.Json;
using System.Text.Json.Serialization;

namespace Srt.TorchSharp.Training;

/// <summary>What a checkpoint needs besides tensors: where the run stands (<c>trainer_state.json</c>).</summary>
internal sealed record TrainerState
{
    public const string FileName = "trainer_state.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>"sft" or "dpo".</summary>
    public required string Kind { get; init; }

    /// <summary>The request name.</summary>
    public required string Name { get; init; }

    /// <summary>Optimizer steps completed.</summary>
    public required int GlobalStep { get; init; }

    public required int TotalSteps { get; init; }

    /// <summary>The epoch the next step belongs to.</summary>
    public required int Epoch { get; init; }

    /// <summary>The index, within that epoch's shuffled order, of the next global batch.</summary>
    public required int BatchInEpoch { get; init; }

    /// <summary>The shuffle seed (the epoch order is derived from it and the epoch).</summary>
    public required int Seed { get; init; }

    /// <summary>Examples (or pairs) left after tokenization; a resume with different data is refused.</summary>
    public required int ExampleCount { get; init; }

    /// <summary>torch's default generator state (LoRA dropout), base64.</summary>
    public required string RngState { get; init; }

    public required long TrainedTokens { get; init; }

    public required double LastLoss { get; init; }

    /// <summary>Whether the weights in this checkpoint are LoRA adapters (else the whole model).</summary>
    public required bool IsLora { get; init; }

    public void Write(string folder) => File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, Json));

    public static TrainerState? TryRead(string folder)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(folder, FileName)), Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null; // an unreadable state marks the folder as not a usable checkpoint
        }
    }
}
