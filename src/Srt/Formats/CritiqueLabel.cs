namespace Srt;

/// <summary>The kinds of labelled lines the critique parser recognizes.</summary>
internal enum CritiqueLabel
{
    /// <summary>Not a label line.</summary>
    None,

    /// <summary>A heading or label the parser does not collect, such as <c>Strengths:</c>; it ends a list.</summary>
    Other,

    /// <summary><c>Feedback</c>.</summary>
    Feedback,

    /// <summary><c>Weaknesses</c>.</summary>
    Weaknesses,

    /// <summary><c>Suggestions</c>.</summary>
    Suggestions,

    /// <summary><c>Overall Score</c>.</summary>
    Score,

    /// <summary><c>Improved Response</c>.</summary>
    ImprovedResponse,
}
