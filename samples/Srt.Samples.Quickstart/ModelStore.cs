using Srt.TorchSharp;
using Srt.TorchSharp.Modeling;

namespace Srt.Samples.Quickstart;

/// <summary>
/// Model folders of the run directory (<c>models/base</c>, <c>models/stage1</c>, ...): Hugging Face layout (config,
/// safetensors, tokenizer files), so each is loadable by <see cref="CausalLanguageModel.FromPretrained"/> as any
/// downloaded model is. A folder is written under a temporary name and renamed when complete, so a crash never
/// leaves half a model that a rerun would trust.
/// </summary>
internal sealed class ModelStore(string runDirectory)
{
    public const string ChatTemplateName = "chatml";

    public string Root { get; } = Path.Combine(runDirectory, "models");

    public string PathOf(string name) => Path.Combine(Root, name);

    public bool Exists(string name) => File.Exists(Path.Combine(PathOf(name), "config.json"));

    public CausalLanguageModel Load(string name) =>
        CausalLanguageModel.FromPretrained(PathOf(name), chatTemplateName: ChatTemplateName);

    public void Save(LlamaForCausalLM model, string name)
    {
        string final = PathOf(name);
        string partial = final + ".partial";
        if (Directory.Exists(partial))
        {
            Directory.Delete(partial, recursive: true);
        }

        model.SavePretrained(partial);
        TinyTokenizer.Write(partial, QuickstartData.TokenizerCorpus);
        if (Directory.Exists(final))
        {
            Directory.Delete(final, recursive: true);
        }

        Directory.Move(partial, final);
    }
}
