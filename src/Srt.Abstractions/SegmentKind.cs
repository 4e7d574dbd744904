namespace Srt;

/// <summary>The part of a self-refinement sequence a segment holds.</summary>
public enum SegmentKind
{
    /// <summary>Text that is none of the parts below, such as a heading.</summary>
    Other,

    /// <summary>The policy's initial response.</summary>
    Response,

    /// <summary>Written feedback on the response.</summary>
    Feedback,

    /// <summary>The improved response.</summary>
    Refinement,
}
