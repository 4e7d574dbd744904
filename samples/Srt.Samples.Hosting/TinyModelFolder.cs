using Srt.TorchSharp.Modeling;

namespace Srt.Samples.Hosting;

/// <summary>
/// Writes a tiny Llama with random weights as a Hugging Face folder (config.json, safetensors, tokenizer files), so
/// the sample runs the real TorchSharp policy and trainer with no download. Its tokenizer is byte-level BPE with no
/// merges (one token per byte, any text encodes) plus the ChatML special tokens. A random model writes noise: this
/// shows the wiring, not the method's effect.
/// </summary>
internal static class TinyModelFolder
{
    /// <summary>The chat template the tiny model is used with.</summary>
    public const string ChatTemplateName = "chatml";

    /// <summary>Writes the model into <paramref name="folder"/> unless a model is already there.</summary>
    /// <returns>Whether a model was written.</returns>
    public static bool EnsureExists(string folder)
    {
        if (File.Exists(Path.Combine(folder, "config.json")))
        {
            return false;
        }

        // Written under a temporary name and renamed when complete, so an interrupted first run never leaves half a
        // model that the next run would trust.
        string partial = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + ".partial";
        if (Directory.Exists(partial))
        {
            Directory.Delete(partial, recursive: true);
        }

        var config = new LlamaConfig
        {
            VocabSize = 256 + TinyTokenizer.SpecialTokens.Length,
            HiddenSize = 64,
            IntermediateSize = 128,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            MaxPositionEmbeddings = 2048,
            EosTokenIds = [256 + Array.IndexOf(TinyTokenizer.SpecialTokens, "<|im_end|>")],
        };
        using (var model = LlamaForCausalLM.Create(config, seed: 7))
        {
            model.SavePretrained(partial);
        }

        TinyTokenizer.Write(partial);
        Directory.Move(partial, folder);
        return true;
    }
}
