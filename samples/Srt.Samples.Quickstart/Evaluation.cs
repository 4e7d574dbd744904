using System.Text.Json;
using Microsoft.Extensions.AI;
using Srt.TorchSharp;

namespace Srt.Samples.Quickstart;

/// <summary>
/// Held-out accuracy of one model, from one greedy generation per problem: the direct answer is the response (what
/// the model writes before any feedback heading), the self-refined answer is the refinement after
/// <c>### Improved Response</c>. A model that writes no self-refinement (the base) keeps its response as its answer.
/// </summary>
internal sealed record Evaluation(string Model, int Total, int DirectCorrect, int RefinedCorrect, int SelfRefinements, IReadOnlyList<EvaluationSample> Samples)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Gets the identity of the weights evaluated (<see cref="SelfRefinementLoop.WeightsId"/>).</summary>
    public string? Weights { get; init; }

    public double DirectAccuracy => (double)DirectCorrect / Total;

    public double RefinedAccuracy => (double)RefinedCorrect / Total;

    /// <summary>Evaluates <paramref name="model"/> on <paramref name="problems"/>, reporting each finished batch.</summary>
    public static async Task<Evaluation> RunAsync(
        string name, CausalLanguageModel model, IReadOnlyList<SumProblem> problems, int maxNewTokens, Action<int> progress, CancellationToken cancellationToken)
    {
        var policy = new TorchSharpPolicyModel(model, new TorchSharpPolicyModelOptions { BatchSize = 50 });
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = maxNewTokens, Seed = 0 };
        var samples = new List<EvaluationSample>(problems.Count);
        foreach (SumProblem[] batch in problems.Chunk(50))
        {
            IReadOnlyList<IReadOnlyList<ChatMessage>> prompts = batch.Select(p => (IReadOnlyList<ChatMessage>)[new ChatMessage(ChatRole.User, p.Instruction)]).ToList();
            IReadOnlyList<PolicyCompletion> completions = await policy.GenerateAsync(prompts, options, cancellationToken);
            for (int i = 0; i < batch.Length; i++)
            {
                samples.Add(EvaluationSample.From(batch[i], completions[i].Text));
            }

            progress(samples.Count);
        }

        return new Evaluation(
            name, problems.Count, samples.Count(s => s.DirectCorrect), samples.Count(s => s.RefinedCorrect), samples.Count(s => s.SelfRefined), samples);
    }

    /// <summary>Reads a stored evaluation, or null when there is none or it was of another test set or other weights.</summary>
    public static Evaluation? Read(string path, int total, string weights)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            Evaluation? stored = JsonSerializer.Deserialize<Evaluation>(File.ReadAllText(path));
            return stored?.Total == total && stored.Weights == weights ? stored : null;
        }
        catch (JsonException)
        {
            return null; // a torn file from a killed run: evaluate again
        }
    }

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, Indented));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
