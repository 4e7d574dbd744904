using Microsoft.Extensions.AI;

namespace Srt.Tests.Formats;

public class CritiquePromptTests
{
    [Fact]
    public void BuildCritique_Default_OneUserMessageWithFourSectionsInOrder()
    {
        var messages = CritiquePrompt.Default.BuildCritique(new CritiqueRequest("Name a prime.", "9"));

        var message = Assert.Single(messages);
        Assert.Equal(ChatRole.User, message.Role);
        var text = message.Text;
        int instruction = text.IndexOf("### Instruction\nName a prime.\n", StringComparison.Ordinal);
        int response = text.IndexOf("### Response\n9\n", StringComparison.Ordinal);
        int requirements = text.IndexOf("### Requirements\n", StringComparison.Ordinal);
        int feedback = text.IndexOf("### Feedback\n", StringComparison.Ordinal);
        Assert.True(instruction == 0 && response > instruction && requirements > response && feedback > requirements);
        Assert.EndsWith("### Feedback\n", text, StringComparison.Ordinal);
        Assert.Contains("Overall Score: [[N]]", text, StringComparison.Ordinal);
        Assert.Contains("### Improved Response", text, StringComparison.Ordinal);
        Assert.Contains("against the instruction only", text, StringComparison.Ordinal);
        Assert.Contains("do not invent", text, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildCritiqueText_ScoreOnly_DoesNotAskForImprovedResponse()
    {
        var text = CritiquePrompt.Default.BuildCritiqueText(new CritiqueRequest("i", "r") { IncludeImprovedResponse = false });

        Assert.DoesNotContain("### Improved Response", text, StringComparison.Ordinal);
        Assert.Contains("Overall Score: [[N]]", text, StringComparison.Ordinal);
        Assert.Contains("Do not write an improved response.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildRefinementText_IncludesFeedbackAndEndsWithHeading()
    {
        var feedback = new Feedback("Weaknesses:\n- too short", ["too short"], [], null);

        var text = CritiquePrompt.Default.BuildRefinementText(new RefinementRequest("i", "r", feedback));

        Assert.Contains("### Feedback\nWeaknesses:\n- too short\n\n### Requirements\n", text, StringComparison.Ordinal);
        Assert.EndsWith("### Improved Response\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildCritiqueText_CustomRequirements_Used()
    {
        var prompt = new CritiquePrompt { CritiqueRequirements = "Be harsh. Overall Score: [[N]]." };

        var text = prompt.BuildCritiqueText(new CritiqueRequest("i", "r"));

        Assert.Contains("### Requirements\nBe harsh. Overall Score: [[N]].\n\n### Feedback\n", text, StringComparison.Ordinal);
    }
}
