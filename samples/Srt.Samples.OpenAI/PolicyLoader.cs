using System.Text.Json;
using Srt.TorchSharp;
using Srt.TorchSharp.Loading.Tokenizers;
using Srt.TorchSharp.Modeling;

namespace Srt.Samples.OpenAI;

/// <summary>
/// Loads the policy a rerun must continue from: the weights of the latest finished training stage of the run
/// directory (its <c>training.done.json</c> names the checkpoint), else the base model. The tokenizer and chat
/// template always come from the base folder (checkpoints hold weights and config only).
/// </summary>
internal static class PolicyLoader
{
    public static (CausalLanguageModel Model, string Checkpoint) Load(SampleOptions options)
    {
        var tokenizer = ModelTokenizer.FromPretrained(options.ModelFolder);
        var template = TorchSharp.ChatTemplates.ChatTemplate.For(tokenizer, options.ChatTemplate);
        (string folder, string checkpoint) = LatestTrained(options.RunDirectory) ?? (options.ModelFolder, "base");
        var weights = LlamaForCausalLM.FromPretrained(folder);
        try
        {
            return (new CausalLanguageModel(weights, tokenizer, template, Path.GetFileName(Path.GetFullPath(options.ModelFolder).TrimEnd('/'))), checkpoint);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    private static (string Folder, string Checkpoint)? LatestTrained(string runDirectory)
    {
        foreach (string stage in (string[])["stage2", "stage1"])
        {
            string marker = Path.Combine(runDirectory, stage, "training.done.json");
            if (!File.Exists(marker))
            {
                continue;
            }

            using var document = JsonDocument.Parse(File.ReadAllText(marker));
            if (document.RootElement.TryGetProperty("checkpointDirectory", out var folder) && folder.GetString() is string path && Directory.Exists(path))
            {
                return (path, stage);
            }

            throw new InvalidOperationException($"{marker} names no checkpoint folder that exists; delete the marker to train {stage} again.");
        }

        return null;
    }
}
