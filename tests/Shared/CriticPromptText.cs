/// <summary>Reads the critic prompt the loop sends (tests/Shared, used by the loopback servers).</summary>
internal static class CriticPromptText
{
    /// <summary>The first line under the critic prompt's <c>### Instruction</c> heading, or empty (judge prompts).</summary>
    public static string InstructionOf(string prompt)
    {
        int heading = prompt.IndexOf("### Instruction", StringComparison.Ordinal);
        return heading < 0
            ? string.Empty
            : prompt[(heading + "### Instruction".Length)..].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
    }
}
