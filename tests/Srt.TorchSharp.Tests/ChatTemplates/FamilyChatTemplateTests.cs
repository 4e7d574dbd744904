using Microsoft.Extensions.AI;
using Srt.TorchSharp.ChatTemplates;
using Srt.TorchSharp.Loading.Tokenizers;
using static Srt.TorchSharp.Tests.Tokenizers.TokenizerFixtures;

namespace Srt.TorchSharp.Tests.ChatTemplates;

/// <summary>
/// The chat templates of Qwen3, Gemma 2/3, OLMo 2 and SmolLM3: detection from the template text each family ships,
/// and rendering of a multi-turn conversation (system prompt, generation prompt) against strings derived by hand
/// from those templates.
/// </summary>
public sealed class FamilyChatTemplateTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "Be brief."),
        new(ChatRole.User, "Hi"),
        new(ChatRole.Assistant, "Hello!"),
        new(ChatRole.User, "Bye"),
    ];

    // Qwen3's chat_template (Qwen/Qwen3-4B-Base and the Qwen3 instruct models' tokenizer_config.json, Apache-2.0).
    private const string Qwen3Jinja = """
        {%- if tools %}
            {{- '<|im_start|>system\n' }}
            {%- if messages[0].role == 'system' %}
                {{- messages[0].content + '\n\n' }}
            {%- endif %}
            {{- "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
            {%- for tool in tools %}
                {{- "\n" }}
                {{- tool | tojson }}
            {%- endfor %}
            {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
        {%- else %}
            {%- if messages[0].role == 'system' %}
                {{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
            {%- endif %}
        {%- endif %}
        {%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
        {%- for message in messages[::-1] %}
            {%- set index = (messages|length - 1) - loop.index0 %}
            {%- if ns.multi_step_tool and message.role == "user" and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
                {%- set ns.multi_step_tool = false %}
                {%- set ns.last_query_index = index %}
            {%- endif %}
        {%- endfor %}
        {%- for message in messages %}
            {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
                {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
            {%- elif message.role == "assistant" %}
                {%- set content = message.content %}
                {%- set reasoning_content = '' %}
                {%- if message.reasoning_content is defined and message.reasoning_content is not none %}
                    {%- set reasoning_content = message.reasoning_content %}
                {%- else %}
                    {%- if '</think>' in message.content %}
                        {%- set content = message.content.split('</think>')[-1].lstrip('\n') %}
                        {%- set reasoning_content = message.content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}
                    {%- endif %}
                {%- endif %}
                {%- if loop.index0 > ns.last_query_index %}
                    {%- if loop.last or (not loop.last and reasoning_content) %}
                        {{- '<|im_start|>' + message.role + '\n<think>\n' + reasoning_content.strip('\n') + '\n</think>\n\n' + content.lstrip('\n') }}
                    {%- else %}
                        {{- '<|im_start|>' + message.role + '\n' + content }}
                    {%- endif %}
                {%- else %}
                    {{- '<|im_start|>' + message.role + '\n' + content }}
                {%- endif %}
                {{- '<|im_end|>\n' }}
            {%- elif message.role == "tool" %}
                {{- '\n<tool_response>\n' }}
                {{- message.content }}
                {{- '\n</tool_response>' }}
            {%- endif %}
        {%- endfor %}
        {%- if add_generation_prompt %}
            {{- '<|im_start|>assistant\n' }}
            {%- if enable_thinking is defined and enable_thinking is false %}
                {{- '<think>\n\n</think>\n\n' }}
            {%- endif %}
        {%- endif %}
        """;

    // Gemma 3's chat_template (google/gemma-3-*-it tokenizer_config.json): only a fragment, as Gemma's terms of use
    // cover the rest.
    private const string GemmaJinjaFragment = """
        {%- if (message['role'] == 'assistant') -%}
            {%- set role = "model" -%}
        {%- else -%}
            {%- set role = message['role'] -%}
        {%- endif -%}
        {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else "") }}
        """;

    // OLMo 2's chat_template (allenai/OLMo-2-1124-7B-SFT and -Instruct tokenizer_config.json, Apache-2.0).
    private const string Olmo2Jinja =
        "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{{ '<|system|>\\n' + message['content'] + '\\n' }}"
        + "{% elif message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + '\\n' }}{% elif message['role'] == 'assistant' %}"
        + "{% if not loop.last %}{{ '<|assistant|>\\n'  + message['content'] + eos_token + '\\n' }}{% else %}{{ '<|assistant|>\\n'  + message['content'] + eos_token }}"
        + "{% endif %}{% endif %}{% if loop.last and add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}{% endfor %}";

    // SmolLM3's chat_template (HuggingFaceTB/SmolLM3-3B, Apache-2.0): the header and the assistant/generation part.
    private const string SmolLM3JinjaFragment = """
        {%- if enable_thinking is not defined -%}
        {%- set enable_thinking = true -%}
        {%- endif -%}
        {{- "<|im_start|>system\n" -}}
        {{- "## Metadata\n\n" -}}
        {{- "Knowledge Cutoff Date: June 2025\n" -}}
        {%- set today = strftime_now("%d %B %Y") -%}
        {{- "Today Date: " ~ today ~ "\n" -}}
        {{- "Reasoning Mode: " + reasoning_mode + "\n\n" -}}
        {%- if reasoning_mode == "/think" -%}
            {{ "<|im_start|>assistant\n" + content.lstrip("\n") + "<|im_end|>\n" }}
        {%- else -%}
            {{ "<|im_start|>assistant\n" + "<think>\n\n</think>\n" + content.lstrip("\n") + "<|im_end|>\n" }}
        {%- endif -%}
        """;

    [Theory]
    [InlineData(Qwen3Jinja, "qwen3")]
    [InlineData(GemmaJinjaFragment, "gemma")]
    [InlineData(Olmo2Jinja, "olmo2")]
    [InlineData(SmolLM3JinjaFragment, "smollm3")]
    public void Detect_FamilyTemplate_PicksItsTemplate(string jinja, string expected) =>
        Assert.Equal(expected, ChatTemplate.Detect(jinja, "<|endoftext|>").Name);

    [Fact]
    public void Render_Qwen3_WritesTheEmptyThinkingBlockInTheGenerationPrompt() => Assert.Equal(
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
        + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
        ChatTemplate.Get("qwen3").Render(Conversation, addGenerationPrompt: true));

    [Fact]
    public void Render_Qwen3Thinking_LeavesTheBlockToTheModel() => Assert.EndsWith(
        "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
        ChatTemplate.Get("qwen3-thinking").Render(Conversation, addGenerationPrompt: true));

    [Theory]
    [InlineData("qwen3")]
    [InlineData("qwen3-thinking")]
    public void Render_Qwen3History_DropsReasoningBeforeTheLastQueryAndKeepsItAfter(string name)
    {
        var template = ChatTemplate.Get(name);
        const string answer = "<think>\nplan\n</think>\n\nHello!";
        ChatMessage[] earlier = [new(ChatRole.User, "Hi"), new(ChatRole.Assistant, answer), new(ChatRole.User, "Bye")];
        Assert.Equal(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n",
            template.Render(earlier, addGenerationPrompt: false));

        ChatMessage[] last = [new(ChatRole.User, "Hi"), new(ChatRole.Assistant, answer)];
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\nplan\n</think>\n\nHello!<|im_end|>\n",
            template.Render(last, addGenerationPrompt: false));

        // A final answer without reasoning gets the empty block, as the generation prompt without thinking has it.
        ChatMessage[] plain = [new(ChatRole.User, "Hi"), new(ChatRole.Assistant, "Hello!")];
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello!<|im_end|>\n",
            template.Render(plain, addGenerationPrompt: false));
    }

    [Fact]
    public void Render_Gemma_FoldsSystemIntoFirstUserTurnAndCallsTheAssistantModel() => Assert.Equal(
        "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
        + "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n",
        ChatTemplate.Get("gemma").Render(Conversation, addGenerationPrompt: true));

    [Fact]
    public void Render_Gemma_TrimsContentAndRefusesALoneSystemMessage()
    {
        var template = ChatTemplate.Get("gemma");
        Assert.Equal("<start_of_turn>user\nHi<end_of_turn>\n", template.Render([new(ChatRole.User, "  Hi \n")], addGenerationPrompt: false));
        Assert.Throws<ArgumentException>(() => template.Render([new(ChatRole.System, "x"), new(ChatRole.Assistant, "y")], addGenerationPrompt: false));
    }

    [Fact]
    public void Render_Olmo2_MatchesTulu3FormatWithEndOfText() => Assert.Equal(
        "<|system|>\nBe brief.\n<|user|>\nHi\n<|assistant|>\nHello!<|endoftext|>\n<|user|>\nBye\n<|assistant|>\n",
        ChatTemplate.Get("olmo2", "<|endoftext|>").Render(Conversation, addGenerationPrompt: true));

    [Fact]
    public void Render_SmolLM3_WritesMetadataHeaderWithoutImEndAndEmptyThinkingBlocks() => Assert.Equal(
        "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nToday Date: 02 December 2026\nReasoning Mode: /no_think\n\n"
        + "## Custom Instructions\n\nBe brief.\n\n"
        + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\nHello!<|im_end|>\n"
        + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n",
        SmolLM3(thinking: false).Render(Conversation, addGenerationPrompt: true));

    [Fact]
    public void Render_SmolLM3Thinking_UsesDefaultInstructionsAndPlainAssistantTurns()
    {
        string text = SmolLM3(thinking: true).Render(Conversation[1..], addGenerationPrompt: true);
        Assert.StartsWith("<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nToday Date: 02 December 2026\nReasoning Mode: /think\n\n"
            + "## Custom Instructions\n\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face. Your role as an assistant", text);
        Assert.EndsWith("reach the conclusion.\n\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
            + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n", text);
    }

    [Fact]
    public void Render_SmolLM3SystemFlags_ChooseModeAndOverrideTheHeader()
    {
        var template = SmolLM3(thinking: true);
        string noThink = template.Render([new(ChatRole.System, "Be brief. /no_think"), new(ChatRole.User, "Hi")], addGenerationPrompt: true);
        Assert.Contains("Reasoning Mode: /no_think\n\n## Custom Instructions\n\nBe brief.\n\n<|im_start|>user", noThink);
        Assert.EndsWith("<|im_start|>assistant\n<think>\n\n</think>\n", noThink);

        Assert.Equal("<|im_start|>system\nJust this.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n",
            template.Render([new(ChatRole.System, "Just this. /system_override"), new(ChatRole.User, "Hi")], addGenerationPrompt: false));
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("gemma")]
    [InlineData("olmo2")]
    public void FormatCompletion_AfterPrompt_ReproducesTheRenderedConversation(string name)
    {
        var template = ChatTemplate.Get(name, "<|endoftext|>");
        string split = template.Render(Conversation[..2], addGenerationPrompt: true) + template.FormatCompletion("Hello!");
        Assert.Equal(template.Render(Conversation[..3], addGenerationPrompt: false), split + "\n");
    }

    [Fact]
    public void FormatCompletion_SmolLM3AfterPrompt_ReproducesTheRenderedConversation()
    {
        var template = SmolLM3(thinking: false);
        string split = template.Render(Conversation[..2], addGenerationPrompt: true) + template.FormatCompletion("Hello!");
        Assert.Equal(template.Render(Conversation[..3], addGenerationPrompt: false), split + "\n");
    }

    [Fact]
    public void EncodePrompt_Olmo2Template_PutsTheBosTheTemplateWritesFirstOnce()
    {
        // OLMo 2's template starts with {{ bos_token }} (<|endoftext|> = 100257) and its tokenizer adds none.
        string folder = Path.Combine(Path.GetTempPath(), "srt-olmo2-template-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            File.Copy(Path.Combine(Folder(Olmo2), "tokenizer.json"), Path.Combine(folder, "tokenizer.json"));
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["bos_token"] = "<|endoftext|>",
                ["eos_token"] = "<|endoftext|>",
                ["chat_template"] = Olmo2Jinja,
            }));
            var tokenizer = ModelTokenizer.FromPretrained(folder);
            var template = ChatTemplate.For(tokenizer);
            Assert.Equal("olmo2", template.Name);
            Assert.False(tokenizer.AddBosToken);

            ChatMessage[] prompt = [new(ChatRole.User, "Hi")];
            var ids = template.EncodePrompt(tokenizer, prompt);
            Assert.Equal([100257, .. tokenizer.Encode("<|user|>\nHi\n<|assistant|>\n")], ids);

            var tokens = template.EncodeForTraining(tokenizer, prompt, "Hello");
            Assert.Equal(ids, tokens.PromptIds);
            Assert.Equal([.. tokenizer.EncodeContinuation("Hello"), 100257], tokens.CompletionIds);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static IChatTemplate SmolLM3(bool thinking) =>
        new SmolLM3ChatTemplate(thinking, new FixedTime(new DateTimeOffset(2026, 12, 2, 22, 0, 0, TimeSpan.Zero)));

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
