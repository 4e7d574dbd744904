using Microsoft.Extensions.AI;
using Srt.TorchSharp.ChatTemplates;

namespace Srt.TorchSharp.Tests.ChatTemplates;

public sealed class ChatTemplateRenderingTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "Be brief."),
        new(ChatRole.User, "Hi"),
        new(ChatRole.Assistant, "Hello!"),
        new(ChatRole.User, "Bye"),
    ];

    [Fact]
    public void Render_ChatML_MatchesQwenFormat() => Assert.Equal(
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
        + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
        ChatTemplate.Get("chatml").Render(Conversation, addGenerationPrompt: true));

    [Fact]
    public void Render_Llama3_MatchesMetaFormatWithoutBos() => Assert.Equal(
        "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
        ChatTemplate.Get("llama3").Render(Conversation, addGenerationPrompt: true));

    [Fact]
    public void Render_Tulu_MatchesOpenInstructFormat() => Assert.Equal(
        "<|system|>\nBe brief.\n<|user|>\nHi\n<|assistant|>\nHello!</s>\n<|user|>\nBye\n<|assistant|>\n",
        ChatTemplate.Get("tulu").Render(Conversation, addGenerationPrompt: true));

    [Fact]
    public void Render_Mistral_PrependsSystemToFirstUserMessage() => Assert.Equal(
        "[INST] Be brief.\n\nHi [/INST] Hello!</s>[INST] Bye [/INST]",
        ChatTemplate.Get("mistral").Render(Conversation, addGenerationPrompt: true));

    [Fact]
    public void Render_MistralV3_HasNoSpaceBeforeClosingTag() => Assert.Equal(
        "[INST] Be brief.\n\nHi[/INST] Hello!</s>[INST] Bye[/INST]",
        ChatTemplate.Get("mistral-v3").Render(Conversation, addGenerationPrompt: true));

    [Fact]
    public void Render_Phi3_MatchesMicrosoftFormat() => Assert.Equal(
        "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n",
        ChatTemplate.Get("phi3").Render(Conversation, addGenerationPrompt: true));

    [Fact]
    public void Render_WithoutGenerationPrompt_EndsAfterLastMessage() =>
        Assert.EndsWith("<|im_start|>user\nBye<|im_end|>\n", ChatTemplate.Get("chatml").Render(Conversation, addGenerationPrompt: false));

    [Theory]
    [InlineData("chatml", "\n")]
    [InlineData("llama3", "")]
    [InlineData("tulu", "\n")]
    [InlineData("mistral", "")]
    [InlineData("mistral-v3", "")]
    [InlineData("phi3", "\n")]
    public void FormatCompletion_AfterPrompt_ReproducesTheRenderedConversation(string name, string separator)
    {
        // The trainer's split (prompt | completion) must be the same text the whole conversation renders to.
        var template = ChatTemplate.Get(name);
        var prompt = Conversation[..2];
        string split = template.Render(prompt, addGenerationPrompt: true) + template.FormatCompletion("Hello!");
        Assert.Equal(template.Render(Conversation[..3], addGenerationPrompt: false), split + separator);
        Assert.EndsWith(template.EndOfTurn, template.FormatCompletion("x"));
    }

    [Fact]
    public void Get_TuluWithOtherEos_UsesItAsEndOfTurn()
    {
        var template = ChatTemplate.Get("tulu", "<|end_of_text|>");
        Assert.Equal("<|end_of_text|>", template.EndOfTurn);
        Assert.Equal("ok<|end_of_text|>", template.FormatCompletion("ok"));
    }

    [Fact]
    public void Get_UnknownName_ListsBuiltInNames()
    {
        var error = Assert.Throws<ArgumentException>(() => ChatTemplate.Get("vicuna"));
        foreach (string name in ChatTemplate.Names)
        {
            Assert.Contains(name, error.Message);
        }
    }

    [Theory]
    [InlineData("{% for m in messages %}{{'<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>' + '\n'}}{% endfor %}", "chatml")]
    [InlineData("{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n' }}{% endfor %}", "llama3")]
    [InlineData("{{ bos_token }}{% for m in messages %}{{ '[INST] ' + m['content'] + ' [/INST]' }}{% endfor %}", "mistral")]
    [InlineData("{{ bos_token }}{% for m in messages %}{{ '[INST] ' + m['content'] + '[/INST]' }}{% endfor %}", "mistral-v3")]
    [InlineData("{% for m in messages %}{{ '<|user|>\n' + m['content'] }}{{ '<|assistant|>\n' + m['content'] + eos_token }}{% endfor %}", "tulu")]
    public void Detect_KnownMarkers_PicksTemplate(string jinja, string expected) =>
        Assert.Equal(expected, ChatTemplate.Detect(jinja).Name);

    [Fact]
    public void Detect_Llama2ChatTemplate_RefusesAndPointsToMistral()
    {
        const string jinja = "{% if messages[0]['role'] == 'system' %}{{ '<<SYS>>\\n' + system + '\\n<</SYS>>' }}{% endif %}{{ '[INST] ' + content + ' [/INST]' }}";
        var error = Assert.Throws<NotSupportedException>(() => ChatTemplate.Detect(jinja));
        Assert.Contains("mistral", error.Message);
    }

    [Fact]
    public void Detect_Phi3MiniConfig_PicksPhi3()
    {
        var tokenizer = Tokenizers.TokenizerFixtures.Load(Tokenizers.TokenizerFixtures.Phi3Mini);
        Assert.Equal("phi3", ChatTemplate.For(tokenizer).Name);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{% for m in messages %}USER: {{ m['content'] }}{% endfor %}")]
    public void Detect_UnknownOrMissing_SaysHowToChoose(string? jinja)
    {
        var error = Assert.Throws<NotSupportedException>(() => ChatTemplate.Detect(jinja));
        Assert.Contains("ChatTemplate.Get", error.Message);
        Assert.Contains("chatml", error.Message);
        Assert.Contains("llama3", error.Message);
    }
}
