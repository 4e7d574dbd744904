using Srt.TorchSharp;

namespace Srt.Samples.OpenAI;

/// <summary>
/// Loads the base policy. A rerun loads the base too: the loop restores the weights of any training a previous run
/// finished, from its own run directory, before it goes on.
/// </summary>
internal static class PolicyLoader
{
    public static CausalLanguageModel Load(SampleOptions options) =>
        CausalLanguageModel.FromPretrained(options.ModelFolder, chatTemplateName: options.ChatTemplate);
}
