namespace Srt.TorchSharp.Generation;

/// <summary>The one rule for whether a prompt fits: a sequence (prompt plus completion) may hold at most a limit of
/// tokens, and a prompt must leave room for at least one new token. Checked before any tensor work.</summary>
internal static class SequenceBudget
{
    /// <summary>Returns why a prompt of <paramref name="promptTokens"/> tokens cannot be generated from, naming the limit,
    /// or null when it fits.</summary>
    public static string? Check(int promptTokens, int limit, string limitName) =>
        promptTokens < limit
            ? null
            : $"the prompt has {promptTokens} tokens, but a sequence may hold at most {limit} tokens ({limitName}), " +
              "prompt included, which leaves no room for a single new token.";
}
