namespace Srt.OpenAI.Tests;

/// <summary>Sets process environment variables for one test and restores them on dispose. Tests that use it belong
/// to <see cref="ProcessEnvironmentCollection"/>, which runs alone.</summary>
internal sealed class EnvironmentVariables : IDisposable
{
    private readonly List<(string Name, string? Saved)> _saved = [];

    private EnvironmentVariables()
    {
    }

    /// <summary>Sets each variable (null removes it), remembering the old values.</summary>
    public static EnvironmentVariables Set(params (string Name, string? Value)[] variables)
    {
        var scope = new EnvironmentVariables();
        foreach (var (name, value) in variables)
        {
            scope._saved.Add((name, Environment.GetEnvironmentVariable(name)));
            Environment.SetEnvironmentVariable(name, value);
        }
        return scope;
    }

    /// <summary>The OpenAI and policy key variables set to the given values (null: unset).</summary>
    public static EnvironmentVariables Keys(string? openAI = null, string? policy = null) =>
        Set((OpenAICriticOptions.ApiKeyEnvironmentVariable, openAI), (OpenAIPolicyOptions.ApiKeyEnvironmentVariable, policy));

    public void Dispose()
    {
        for (int i = _saved.Count - 1; i >= 0; i--)
        {
            Environment.SetEnvironmentVariable(_saved[i].Name, _saved[i].Saved);
        }
    }
}
