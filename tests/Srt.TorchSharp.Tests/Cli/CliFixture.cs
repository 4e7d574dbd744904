using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Tests.Generation;

namespace Srt.TorchSharp.Tests.Cli;

/// <summary>Files the srt command tests give the tool, as a user would have them on disk.</summary>
internal static class CliFixture
{
    /// <summary>Saves a tiny chat model with its tokenizer files and six instructions under <paramref name="folder"/>.</summary>
    public static (string ModelFolder, string Instructions) WriteTinyModelAndInstructions(string folder)
    {
        string modelFolder = Path.Combine(folder, "tiny-model");
        Directory.CreateDirectory(modelFolder);
        using (var model = LlamaForCausalLM.Create(TinyChatModel.Config(), seed: 5))
        {
            model.SavePretrained(modelFolder);
        }

        TinyChatModel.WriteTokenizerFiles(modelFolder);
        string instructions = Path.Combine(folder, "instructions.jsonl");
        File.WriteAllLines(instructions, Enumerable.Range(1, 6).Select(i => $$"""{"id":"q{{i}}","instruction":"Question number {{i}}?"}"""));
        return (modelFolder, instructions);
    }
}
