namespace Srt;

/// <summary>Starts a <see cref="CriticBuilder"/> from a critic.</summary>
public static class CriticBuilderExtensions
{
    /// <summary>Creates a builder whose pipeline ends at this critic.</summary>
    /// <param name="innerCritic">The critic at the end of the pipeline.</param>
    /// <returns>The builder.</returns>
    public static CriticBuilder AsBuilder(this ICritic innerCritic) => new(innerCritic);
}
