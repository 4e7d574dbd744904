namespace Srt;

/// <summary>One critique to answer in a batch.</summary>
/// <param name="Id">The request's id, unique in the batch and the same on a rerun: the item id plus the call kind.</param>
/// <param name="Request">What the critic is asked to judge.</param>
public sealed record BatchCritiqueRequest(string Id, CritiqueRequest Request);
