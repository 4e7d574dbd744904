namespace Srt.OpenAI;

/// <summary>What <see cref="VllmAdapterLoader.LoadAsync"/> found and did.</summary>
public enum VllmAdapterLoadOutcome
{
    /// <summary>The server had no adapter of that name and loaded it.</summary>
    Loaded,

    /// <summary>The server already served that name from the same path; nothing changed (a rerun).</summary>
    AlreadyLoaded,

    /// <summary>The server served that name from another path; it was unloaded and loaded again from the new one.</summary>
    Reloaded,
}
