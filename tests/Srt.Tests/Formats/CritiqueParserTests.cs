namespace Srt.Tests.Formats;

public class CritiqueParserTests
{
    private const string Gpt4StyleCritique = """
        ### Feedback
        **Weaknesses:**
        1. The response lists only two causes of the French Revolution, while the instruction asks for three.
        2. The claim that the Estates-General met in 1792 is wrong; it met in May 1789.
        3. The answer does not explain how the causes are connected,
           which the instruction explicitly requests.

        **Suggestions:**
        - Add a third cause, such as the Enlightenment ideas that undermined royal authority.
        - Correct the date of the Estates-General to 1789.
        - Add one or two sentences linking the fiscal crisis to the calling of the Estates-General.

        Overall, the response is on topic but incomplete and contains a factual error.

        Overall Score: [[4]]

        ### Improved Response
        The French Revolution had three main, connected causes:

        1. **A fiscal crisis.** War debts left the crown near bankruptcy.
        2. **Social inequality.** The Third Estate carried the tax burden.
        3. **Enlightenment ideas.** Writers questioned absolute monarchy.

        The fiscal crisis forced Louis XVI to call the Estates-General in May 1789.
        """;

    [Fact]
    public void Parse_Gpt4StyleCritique_FindsEveryPart()
    {
        var critique = CritiqueParser.Parse(Gpt4StyleCritique);

        Assert.Equal(3, critique.Feedback.Weaknesses.Count);
        Assert.Equal(
            "The answer does not explain how the causes are connected, which the instruction explicitly requests.",
            critique.Feedback.Weaknesses[2]);
        Assert.Equal(3, critique.Feedback.Suggestions.Count);
        Assert.StartsWith("Correct the date", critique.Feedback.Suggestions[1], StringComparison.Ordinal);
        Assert.Equal(4, critique.Feedback.Score);
        Assert.True(critique.Feedback.IsComplete);
        Assert.StartsWith("The French Revolution had three main", critique.ImprovedResponse, StringComparison.Ordinal);
        Assert.EndsWith("in May 1789.", critique.ImprovedResponse, StringComparison.Ordinal);
        Assert.Contains("1. **A fiscal crisis.**", critique.ImprovedResponse, StringComparison.Ordinal);
        Assert.Equal(Gpt4StyleCritique, critique.RawText);
    }

    [Fact]
    public void Parse_Gpt4StyleCritique_FeedbackTextExcludesHeadingAndImprovedResponse()
    {
        var critique = CritiqueParser.Parse(Gpt4StyleCritique);

        Assert.StartsWith("**Weaknesses:**", critique.Feedback.Text, StringComparison.Ordinal);
        Assert.EndsWith("Overall Score: [[4]]", critique.Feedback.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Improved Response", critique.Feedback.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Louis XVI", critique.Feedback.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ClosingParagraphAfterList_IsNotASuggestion()
    {
        var critique = CritiqueParser.Parse(Gpt4StyleCritique);

        Assert.DoesNotContain(critique.Feedback.Suggestions, s => s.Contains("on topic", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("### Weaknesses\n- a\n- b\n### Suggestions\n- c\n")]
    [InlineData("## Weaknesses:\n* a\n* b\n\n## Suggestions:\n* c\n")]
    [InlineData("**Weaknesses**:\n• a\n• b\n**Suggestions**:\n• c\n")]
    [InlineData("Weaknesses:\n1) a\n2) b\nSuggestions:\n1. c\n")]
    [InlineData("WEAKNESSES:\n+ a\n+ b\nActionable Suggestions:\n- c\n")]
    [InlineData("Weaknesses: The response has problems:\n- a\n- b\nSuggestions for improvement:\n- c\n")]
    [InlineData("1. Weaknesses:\n   - a\n   - b\n2. Suggestions:\n   - c\n3. ")]
    [InlineData("1. **Weaknesses:**\n   * a\n   * b\n\n2. **Suggestions:**\n   * c\n\n3. ")]
    public void Parse_HeadingAndBulletVariants_ReadsLists(string feedback)
    {
        var critique = CritiqueParser.Parse(feedback + "Overall Score: [[5]]");

        Assert.Equal(["a", "b"], critique.Feedback.Weaknesses);
        Assert.Equal(["c"], critique.Feedback.Suggestions);
        Assert.Equal(5, critique.Feedback.Score);
    }

    [Fact]
    public void Parse_ParagraphsWithoutBullets_OneEntryPerParagraph()
    {
        var text = "Weaknesses:\nThe answer is vague\nand too short.\n\nIt ignores the second question.\n\nSuggestions: Answer both questions.\n\nOverall Score: 3";

        var feedback = CritiqueParser.Parse(text).Feedback;

        Assert.Equal(["The answer is vague and too short.", "It ignores the second question."], feedback.Weaknesses);
        Assert.Equal(["Answer both questions."], feedback.Suggestions);
    }

    [Fact]
    public void Parse_NestedBullets_JoinTheirParent()
    {
        var text = "### Weaknesses\n- Formatting:\n  - no headings\n  - long lines\n- Tone is curt.\n### Suggestions\n- Fix it.";

        var feedback = CritiqueParser.Parse(text).Feedback;

        Assert.Equal(["Formatting: no headings long lines", "Tone is curt."], feedback.Weaknesses);
    }

    [Fact]
    public void Parse_StrengthsSection_IsNotCollected()
    {
        var text = "Strengths:\n- Polite.\nWeaknesses:\n- Wrong.\nSuggestions:\n- Fix.\nOverall Score: [[2]]";

        var feedback = CritiqueParser.Parse(text).Feedback;

        Assert.Equal(["Wrong."], feedback.Weaknesses);
        Assert.Equal(["Fix."], feedback.Suggestions);
    }

    [Theory]
    [InlineData("### Improved Response\nBetter text.")]
    [InlineData("## Improved Response\n\nBetter text.\n")]
    [InlineData("**Improved Response:**\nBetter text.")]
    [InlineData("**Improved Response:** Better text.")]
    [InlineData("Improved Response:\nBetter text.")]
    public void Parse_ImprovedResponseHeadingVariants_FindsImprovedResponse(string tail)
    {
        var critique = CritiqueParser.Parse("Weaknesses:\n- a\nSuggestions:\n- b\nOverall Score: [[5]]\n\n" + tail);

        Assert.Equal("Better text.", critique.ImprovedResponse);
        Assert.True(critique.Feedback.IsComplete);
    }

    [Fact]
    public void Parse_WhollyFencedImprovedResponse_Unwraps()
    {
        var critique = CritiqueParser.Parse("Overall Score: 5\n### Improved Response\n```python\nprint('hi')\n```\n");

        Assert.Equal("print('hi')", critique.ImprovedResponse);
    }

    [Fact]
    public void Parse_ImprovedResponseWithProseAndCode_KeptVerbatim()
    {
        var body = "Use this:\n```python\nprint('hi')\n```\nIt prints a greeting.";

        var critique = CritiqueParser.Parse("Overall Score: 5\n### Improved Response\n" + body);

        Assert.Equal(body, critique.ImprovedResponse);
    }

    [Fact]
    public void Parse_TwoCodeBlocks_NotUnwrapped()
    {
        var body = "```\na\n```\n\n```\nb\n```";

        Assert.Equal(body, CritiqueParser.Parse("### Improved Response\n" + body).ImprovedResponse);
    }

    [Fact]
    public void Parse_TruncatedCritique_IsIncomplete()
    {
        var critique = CritiqueParser.Parse("Weaknesses:\n- The answer is wrong.\n\nSuggestions:\n- Recompute the");

        Assert.Single(critique.Feedback.Weaknesses);
        Assert.Single(critique.Feedback.Suggestions);
        Assert.Null(critique.Feedback.Score);
        Assert.Null(critique.ImprovedResponse);
        Assert.False(critique.Feedback.IsComplete);
    }

    [Fact]
    public void Parse_NoSuggestions_IsIncomplete()
    {
        var critique = CritiqueParser.Parse("Weaknesses:\n- Wrong.\n\nOverall Score: [[2]]\n\n### Improved Response\nRight.");

        Assert.Empty(critique.Feedback.Suggestions);
        Assert.False(critique.Feedback.IsComplete);
        Assert.Equal("Right.", critique.ImprovedResponse);
    }

    [Fact]
    public void Parse_EmptyImprovedResponse_IsNull()
    {
        Assert.Null(CritiqueParser.Parse("Overall Score: 4\n### Improved Response\n   \n").ImprovedResponse);
    }

    [Fact]
    public void Parse_ProseMentioningWeaknesses_IsNotAHeading()
    {
        var feedback = CritiqueParser.Parse("Weaknesses of this kind are common.\nSuggestions:\n- Fix.").Feedback;

        Assert.Empty(feedback.Weaknesses);
        Assert.Equal(["Fix."], feedback.Suggestions);
    }

    [Fact]
    public void Parse_WindowsLineEndings_ParsesLikeUnix()
    {
        var critique = CritiqueParser.Parse("Weaknesses:\r\n- a\r\nSuggestions:\r\n- b\r\nOverall Score: [[6]]\r\n### Improved Response\r\nx\r\n");

        Assert.Equal(["a"], critique.Feedback.Weaknesses);
        Assert.Equal(6, critique.Feedback.Score);
        Assert.Equal("x", critique.ImprovedResponse);
    }
}
