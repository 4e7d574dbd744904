using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Srt.Evaluation;

namespace Srt.Tests.Evaluation;

public sealed class PairwiseJudgeBuilderExtensionsTests
{
    [Fact]
    public async Task WithPairwiseJudge_KeyedClient_JudgeUsesThatClientNotTheCritics()
    {
        var judgeClient = new ScriptedJudgeClient { Verdict = (a, _) => a == "good" ? "[[A]]" : "[[B]]" };
        var criticClient = new ScriptedJudgeClient();
        var services = new ServiceCollection();
        services.AddKeyedSingleton<IChatClient>("srt-judge", judgeClient);
        services.AddKeyedSingleton<IChatClient>("srt-critic", criticClient);
        services.AddSrt().WithPairwiseJudge(configure: options => options.MaxConcurrency = 2);
        using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<PairwiseJudge>().JudgeAsync([new PairwiseItem("x", "Q", "good", "bad")]);

        Assert.Equal(1, report.Wins);
        Assert.Equal(2, judgeClient.Calls);
        Assert.Equal(0, criticClient.Calls);
    }

    [Fact]
    public void WithPairwiseJudge_InvalidSettings_ThrowsAtRegistration() =>
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddSrt().WithPairwiseJudge(configure: options => options.MaxConcurrency = 0));
}
