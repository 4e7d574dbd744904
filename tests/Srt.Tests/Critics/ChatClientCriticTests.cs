using Microsoft.Extensions.AI;
using Srt.Testing;
using Srt.Tests.Resilience;

namespace Srt.Tests.Critics;

public class ChatClientCriticTests
{
    private const string Answer = "Weaknesses:\n- Wrong capital.\nSuggestions:\n- Say Paris.\nOverall Score: [[2]]\n\n### Improved Response\nParis.";

    [Fact]
    public async Task Critique_Default_SendsPaperPromptAndSettings()
    {
        var chat = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => Task.FromResult(TestChatClient.Answer(Answer)) };
        var critic = new ChatClientCritic(chat, new ChatClientCriticOptions { ModelId = "gpt-4-turbo" });

        await critic.CritiqueAsync(new CritiqueRequest("Capital of France?", "Lyon."));

        var (messages, options) = Assert.Single(chat.Requests);
        var text = Assert.Single(messages).Text;
        foreach (var section in new[] { "### Instruction\nCapital of France?", "### Response\nLyon.", "### Requirements\n", "### Feedback\n" })
        {
            Assert.Contains(section, text, StringComparison.Ordinal);
        }

        Assert.NotNull(options);
        Assert.Equal(0f, options.Temperature);
        Assert.Equal(2048, options.MaxOutputTokens);
        Assert.Equal("gpt-4-turbo", options.ModelId);
    }

    [Fact]
    public async Task Critique_Answer_ParsedWithUsage()
    {
        var usage = new UsageDetails { InputTokenCount = 120, OutputTokenCount = 40, TotalTokenCount = 160 };
        var chat = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => Task.FromResult(TestChatClient.Answer(Answer, usage: usage)) };

        var critique = await new ChatClientCritic(chat).CritiqueAsync(new CritiqueRequest("Capital of France?", "Lyon."));

        Assert.Equal(2, critique.Feedback.Score);
        Assert.Equal(["Wrong capital."], critique.Feedback.Weaknesses);
        Assert.Equal("Paris.", critique.ImprovedResponse);
        Assert.True(critique.Feedback.IsComplete);
        Assert.Same(usage, critique.Usage);
        Assert.Equal(Answer, critique.RawText);
    }

    [Fact]
    public async Task Critique_CutOffAtTokenLimit_KeepsFeedbackDropsImprovedResponse()
    {
        var chat = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => Task.FromResult(TestChatClient.Answer(Answer[..^3], ChatFinishReason.Length)),
        };

        var critique = await new ChatClientCritic(chat).CritiqueAsync(new CritiqueRequest("i", "r"));

        Assert.Equal(2, critique.Feedback.Score);
        Assert.Null(critique.ImprovedResponse);
        Assert.EndsWith("Par", critique.RawText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Critique_MissingFinishReason_RetriedAsTransient()
    {
        int calls = 0;
        var clock = new RecordingTimeProvider();
        var chat = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => Task.FromResult(++calls == 1
                ? new ChatResponse(new ChatMessage(ChatRole.Assistant, "Weaknesses:\n- Wro"))
                : TestChatClient.Answer(Answer)),
        };
        var critic = new ChatClientCritic(chat, new ChatClientCriticOptions { Retry = new RetryOptions { UseJitter = false } }, timeProvider: clock);

        var critique = await critic.CritiqueAsync(new CritiqueRequest("i", "r"));

        Assert.Equal("Paris.", critique.ImprovedResponse);
        Assert.Equal(2, calls);
        Assert.Equal([TimeSpan.FromSeconds(1)], clock.Delays);
        Assert.Equal(2, critic.GetService<RetryingChatClient>()!.Attempts);
    }

    [Fact]
    public async Task Critique_ScoreOnly_PromptDoesNotAskForImprovement()
    {
        var chat = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => Task.FromResult(TestChatClient.Answer("Overall Score: [[8]]")) };

        var critique = await new ChatClientCritic(chat).CritiqueAsync(new CritiqueRequest("i", "r") { IncludeImprovedResponse = false });

        Assert.Equal(8, critique.Feedback.Score);
        Assert.DoesNotContain("### Improved Response", chat.Requests[0].Messages[0].Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Paris is the capital.", "Paris is the capital.")]
    [InlineData("### Improved Response\nParis is the capital.\n", "Paris is the capital.")]
    public async Task Refine_Answer_ReturnsRefinement(string answer, string expected)
    {
        var chat = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => Task.FromResult(TestChatClient.Answer(answer)) };
        var feedback = new Feedback("Weaknesses:\n- Wrong city.", ["Wrong city."], [], 2);

        var refinement = await new ChatClientCritic(chat).RefineAsync(new RefinementRequest("Capital?", "Lyon.", feedback));

        Assert.Equal(expected, refinement.Text);
        Assert.Contains("### Feedback\nWeaknesses:\n- Wrong city.", chat.Requests[0].Messages[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refine_CutOff_Throws()
    {
        var chat = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => Task.FromResult(TestChatClient.Answer("Paris is", ChatFinishReason.Length)) };
        var request = new RefinementRequest("i", "r", new Feedback("f", [], [], null));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => new ChatClientCritic(chat).RefineAsync(request));
        Assert.Contains("MaxOutputTokens", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetService_FindsRefinerOptionsAndInnerClient()
    {
        var chat = new TestChatClient();
        var options = new ChatClientCriticOptions();
        var critic = new ChatClientCritic(chat, options);

        Assert.Same(critic, critic.GetService(typeof(IRefiner)));
        Assert.Same(options, critic.GetService(typeof(ChatClientCriticOptions)));
        Assert.Same(chat, critic.GetService(typeof(TestChatClient)));
        Assert.NotNull(critic.ChatClient.GetService<RetryingChatClient>());
        Assert.IsType<OpenTelemetryChatClient>(critic.ChatClient);
    }

    [Fact]
    public void Constructor_ClientAlreadyRetries_NoSecondRetryLayer()
    {
        var retrying = new RetryingChatClient(new TestChatClient());

        Assert.Same(retrying, new ChatClientCritic(retrying).ChatClient.GetService<RetryingChatClient>());
        Assert.Null(new ChatClientCritic(new TestChatClient(), new ChatClientCriticOptions { Retry = null }).ChatClient.GetService<RetryingChatClient>());
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChatClientCritic(new TestChatClient(), new ChatClientCriticOptions { MaxOutputTokens = 0 }));
    }
}
