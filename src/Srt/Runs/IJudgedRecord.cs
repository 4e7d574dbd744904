namespace Srt;

/// <summary>A stored result of a model call about one text: reused only for that text, and counted for its tokens.</summary>
internal interface IJudgedRecord
{
    /// <summary>Gets the item the result belongs to.</summary>
    string Id { get; }

    /// <summary>Gets the tokens the call used, when the model reported them.</summary>
    TokenCounts? Usage { get; }

    /// <summary>Whether this result was made for <paramref name="text"/> (older records, without a digest, are trusted).</summary>
    bool Judges(string text);
}
