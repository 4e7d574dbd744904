using Microsoft.Extensions.AI;

namespace Srt.Testing.Tests;

public sealed class TestPolicyModelTests
{
    private static IReadOnlyList<ChatMessage> Prompt(string instruction) =>
        [new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, instruction)];

    [Fact]
    public async Task GenerateAsync_Default_AnswersEachPromptsLastUserMessageInOrder()
    {
        var policy = new TestPolicyModel();

        IReadOnlyList<PolicyCompletion> completions = await policy.GenerateAsync([Prompt("one"), Prompt("two")]);

        Assert.Equal(["Answer to: one", "Answer to: two"], completions.Select(completion => completion.Text));
        Assert.All(completions, completion => Assert.Equal(CompletionFinishReason.Stop, completion.FinishReason));
    }

    [Fact]
    public async Task GenerateAsync_SeveralCalls_RecordsPromptsAndOptionsInCallOrder()
    {
        var policy = new TestPolicyModel { AnswerCallback = instruction => new PolicyCompletion(instruction.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
        var options = new GenerationOptions { Temperature = 0 };

        await policy.GenerateAsync([Prompt("a"), Prompt("bb"), Prompt("ccc")], options);
        IReadOnlyList<PolicyCompletion> second = await policy.GenerateAsync([Prompt("dddd")]);

        Assert.Equal("4", Assert.Single(second).Text);
        Assert.Equal(2, policy.Calls.Count);
        Assert.Equal(4, policy.PromptCount);
        Assert.Same(options, policy.Calls[0].Options);
        Assert.Null(policy.Calls[1].Options);
        Assert.Equal(["a", "bb", "ccc"], policy.Calls[0].Prompts.Select(TestPolicyModel.InstructionOf));
    }

    [Fact]
    public async Task GenerateAsync_WholeCallCallbackSet_TakesPrecedenceOverAnswerCallback()
    {
        var policy = new TestPolicyModel
        {
            AnswerCallback = _ => throw new InvalidOperationException("not used"),
            GenerateAsyncCallback = (prompts, _, _) => Task.FromResult<IReadOnlyList<PolicyCompletion>>(
                prompts.Select(_ => PolicyCompletion.Failed("The prompt does not fit.")).ToList()),
        };

        IReadOnlyList<PolicyCompletion> completions = await policy.GenerateAsync([Prompt("x")]);

        Assert.Equal(CompletionFinishReason.Failed, Assert.Single(completions).FinishReason);
        Assert.Single(policy.Calls);
    }

    [Fact]
    public void GetService_Default_ThisForItsOwnTypesWithoutKeyOnly()
    {
        var policy = new TestPolicyModel();

        Assert.Same(policy, policy.GetService(typeof(IPolicyModel)));
        Assert.Null(policy.GetService(typeof(IPolicyModel), "key"));
        Assert.Null(policy.GetService(typeof(ITrainer)));
    }
}
