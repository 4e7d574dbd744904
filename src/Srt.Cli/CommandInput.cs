using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Srt.Cli;

/// <summary>
/// One command's settings: each option's value comes from the command line when given there, else from the
/// <c>--config</c> JSON file (keys are option names without the dashes), else from the option's documented default.
/// </summary>
internal sealed class CommandInput
{
    private readonly ParseResult _parse;
    private readonly Dictionary<string, JsonElement> _config;
    private readonly string? _configPath;

    private CommandInput(ParseResult parse, Dictionary<string, JsonElement> config, string? configPath)
    {
        _parse = parse;
        _config = config;
        _configPath = configPath;
    }

    /// <summary>Reads the command's <c>--config</c> file, when given; names the file and the key for every error.</summary>
    /// <exception cref="FileNotFoundException">The config file does not exist.</exception>
    /// <exception cref="FormatException">The file is not a JSON object, or names an option the command does not have.</exception>
    public static CommandInput Read(ParseResult parse)
    {
        Command command = parse.CommandResult.Command;
        Option? configOption = command.Options.FirstOrDefault(option => option.Name == CommonOptions.ConfigName);
        string? path = configOption is Option<string?> typed ? parse.GetValue(typed) : null;
        var config = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (path is null)
        {
            return new CommandInput(parse, config, null);
        }

        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"The --config file {full} does not exist.", full);
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(full), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            root = document.RootElement.Clone();
        }
        catch (JsonException exception)
        {
            throw new FormatException($"{full}: not valid JSON ({exception.Message})", exception);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{full}: must hold one JSON object of option names and values, such as {{\"run\": \"runs/qwen\"}}.");
        }

        var known = command.Options.Select(option => option.Name).Where(name => name.StartsWith("--", StringComparison.Ordinal) && name is not CommonOptions.ConfigName and not "--help")
            .Select(name => name[2..]).ToHashSet(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                throw new FormatException($"{full}: \"{property.Name}\" is not an option of 'srt {command.Name}'. Its options: {string.Join(", ", known.Order(StringComparer.Ordinal))}.");
            }

            config[property.Name] = property.Value;
        }

        return new CommandInput(parse, config, full);
    }

    /// <summary>Gets the option's value: the command line's, else the config file's, else the default.</summary>
    /// <exception cref="FormatException">The config file holds a value of the wrong kind for the option.</exception>
    public T Get<T>(Option<T> option)
    {
        if (_parse.GetResult(option) is { Implicit: false })
        {
            return _parse.GetValue(option)!;
        }

        string key = option.Name[2..];
        if (_config.TryGetValue(key, out var element))
        {
            try
            {
                if (element.ValueKind != JsonValueKind.Null || default(T) is null)
                {
                    return element.Deserialize<T>()!;
                }
            }
            catch (JsonException)
            {
                // Reported below with the file and the key.
            }

            throw new FormatException($"{_configPath}: \"{key}\" must be {KindOf(typeof(T))}, not {element.GetRawText()}.");
        }

        return _parse.GetValue(option)!;
    }

    /// <summary>Gets a value that has no default: it must come from the command line or the config file.</summary>
    /// <exception cref="ArgumentException">Neither gives it.</exception>
    public string Require(Option<string?> option) =>
        Get(option) is { Length: > 0 } value ? value : throw new ArgumentException($"{option.Name} is required (on the command line or in the --config file).");

    /// <summary>Gets one of a fixed set of words (case-insensitive), checked here since a config file bypasses the parser's check.</summary>
    /// <exception cref="ArgumentException">The value is not one of <paramref name="allowed"/>.</exception>
    public string Choice(Option<string> option, IReadOnlyCollection<string> allowed)
    {
        string value = Get(option);
        return allowed.FirstOrDefault(word => string.Equals(word, value, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"{option.Name} must be one of {string.Join(", ", allowed)}, not '{value}'.");
    }

    /// <summary>Gets a whole number of at least <paramref name="minimum"/>.</summary>
    /// <exception cref="ArgumentException">It is smaller.</exception>
    public int AtLeast(Option<int> option, int minimum)
    {
        int value = Get(option);
        return value >= minimum ? value : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be at least {minimum}, not {value}."));
    }

    /// <summary>Gets a number above zero.</summary>
    /// <exception cref="ArgumentException">It is zero or below, or not finite.</exception>
    public double Positive(Option<double> option)
    {
        double value = Get(option);
        return value > 0 && double.IsFinite(value) ? value : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be above 0, not {value}."));
    }

    /// <summary>Gets an absolute URL, or <see langword="null"/> when the option is not given.</summary>
    /// <exception cref="ArgumentException">The value is not an absolute URL.</exception>
    public Uri? Url(Option<string?> option) => Get(option) is string text
        ? Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : throw new ArgumentException($"{option.Name} '{text}' is not an absolute URL, such as http://localhost:8000/v1.")
        : null;

    /// <summary>Gets a file that must exist.</summary>
    /// <exception cref="FileNotFoundException">It does not; the message names it.</exception>
    public string ExistingFile(Option<string?> option)
    {
        string path = Path.GetFullPath(Require(option));
        return File.Exists(path) ? path : throw new FileNotFoundException($"{option.Name}: the file {path} does not exist.", path);
    }

    /// <summary>Gets a folder that must exist.</summary>
    /// <exception cref="DirectoryNotFoundException">It does not; the message names it.</exception>
    public string ExistingFolder(Option<string?> option)
    {
        string path = Path.GetFullPath(Require(option));
        return Directory.Exists(path) ? path : throw new DirectoryNotFoundException($"{option.Name}: the folder {path} does not exist.");
    }

    private static string KindOf(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(string) => "a string",
        var t when t == typeof(bool) => "true or false",
        var t when t == typeof(int) || t == typeof(long) => "a whole number",
        var t when t == typeof(double) || t == typeof(float) => "a number",
        var t => $"a {t.Name}",
    };
}
