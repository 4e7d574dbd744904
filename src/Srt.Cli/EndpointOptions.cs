using System.CommandLine;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Srt.OpenAI;

namespace Srt.Cli;

/// <summary>
/// The options of one OpenAI-compatible endpoint (<c>--critic-*</c> or <c>--judge-*</c>) and the key rule: an OpenAI
/// key (<c>OPENAI_API_KEY</c>) goes to the OpenAI API only; a custom endpoint gets a key only from the environment
/// variable named for it. Keys come from the environment, never from the command line, and are never written out.
/// </summary>
internal sealed class EndpointOptions
{
    private readonly string _role;

    public EndpointOptions(string role, string defaultModel)
    {
        _role = role;
        Endpoint = new($"--{role}-endpoint")
        {
            Description = $"The {role}'s OpenAI-compatible base URL, such as http://localhost:8000/v1 (vLLM, llama.cpp, Ollama, a proxy). Default: the OpenAI API, with the key from OPENAI_API_KEY.",
            HelpName = "url",
        };
        Model = new($"--{role}-model") { Description = $"The {role} model.", DefaultValueFactory = _ => defaultModel, HelpName = "name" };
        KeyVariable = new($"--{role}-api-key-env")
        {
            Description = $"The environment variable holding the {role}'s key. Default: OPENAI_API_KEY for the OpenAI API, none for --{role}-endpoint (an OpenAI key is never sent to another server unasked).",
            HelpName = "NAME",
        };
    }

    public Option<string?> Endpoint { get; }

    public Option<string> Model { get; }

    public Option<string?> KeyVariable { get; }

    public IEnumerable<Option> All => [Endpoint, Model, KeyVariable];

    /// <summary>Reads the endpoint settings and the key.</summary>
    /// <exception cref="ArgumentException">The key variable is unset where a key is needed, or the URL is not absolute.</exception>
    public Settings Read(CommandInput input, Func<string, string?> environment)
    {
        Uri? endpoint = input.Url(Endpoint);
        string? variable = input.Get(KeyVariable) ?? (endpoint is null ? OpenAICriticOptions.ApiKeyEnvironmentVariable : null);
        string? key = variable is null ? null : environment(variable);
        if (string.IsNullOrWhiteSpace(key))
        {
            if (endpoint is null || variable is not null)
            {
                throw new ArgumentException(
                    $"Set {variable} for the {(endpoint is null ? "OpenAI API" : $"{_role} endpoint")}, or pass --{_role}-endpoint for an OpenAI-compatible server that needs no key.");
            }

            key = null;
        }

        string model = input.Get(Model);
        return string.IsNullOrWhiteSpace(model) ? throw new ArgumentException($"--{_role}-model must name a model.") : new Settings(endpoint, model, key);
    }

    /// <summary>One endpoint's settings; <see cref="ToString"/> leaves the key out.</summary>
    internal sealed class Settings(Uri? endpoint, string model, string? apiKey)
    {
        public Uri? Endpoint => endpoint;

        public string Model => model;

        public OpenAICriticOptions ToCriticOptions() => new() { Model = model, ApiKey = apiKey, Endpoint = endpoint };

        public IChatClient CreateChatClient(ILoggerFactory loggerFactory) => OpenAICritic.CreateChatClient(ToCriticOptions(), loggerFactory);

        public override string ToString() => $"{model} at {endpoint?.ToString() ?? "the OpenAI API"}";
    }
}
