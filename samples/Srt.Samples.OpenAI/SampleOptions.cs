using System.Globalization;

namespace Srt.Samples.OpenAI;

/// <summary>The sample's command line, parsed by hand (<c>--name value</c> pairs).</summary>
internal sealed class SampleOptions
{
    public const string Usage = """
        Usage: Srt.Samples.OpenAI --model <hf-folder> --instructions <file.jsonl> [options]

          --model <folder>          Hugging Face model folder (config.json, *.safetensors, tokenizer files)   (required)
          --instructions <file>     instructions JSONL: {"id","instruction"} | {"prompt"} | {"messages"}     (required)
          --eval <file>             evaluation JSONL (optional "reference"/"answer"); default: the last 20% of --instructions
          --run <folder>            run directory                                          (default runs/openai)
          --endpoint <url>          OpenAI-compatible server, e.g. http://localhost:8000/v1 (default: the OpenAI API,
                                    key from OPENAI_API_KEY; a key is optional with --endpoint)
          --api-key-env <name>      environment variable holding the key (default OPENAI_API_KEY for the OpenAI API,
                                    none for --endpoint: an OpenAI key is never sent to another server unasked)
          --critic-model <name>     critic model                                            (default gpt-4-turbo)
          --judge-model <name>      judge model                                             (default: the critic model)
          --max-new-tokens <n>      policy tokens per answer (stage 2 and self-refined: 3x)  (default 2048)
          --epochs <n>              stage-1 epochs                                          (default 5, the paper's)
          --batch-size <n>          global batch size of both stages                        (default 32, the paper's)
          --max-length <n>          longest training sequence in tokens                     (default 8192)
          --threads <n>             CPU threads for libtorch                                 (default: all cores)
          --chat-template <name>    chatml | llama3 | tulu | mistral | mistral-v3 | phi3    (default: detected)
          --seed <n>                sampling seed                                           (default 0)
          --verbose                 log at Debug and print full errors (stack traces)

        Exit codes: 0 done, 1 failed (the message says why), 2 bad usage, 130 interrupted (rerun to continue).
        """;

    public required string ModelFolder { get; init; }

    public required string InstructionsFile { get; init; }

    public string? EvalFile { get; init; }

    public string RunDirectory { get; init; } = Path.Combine("runs", "openai");

    public Uri? Endpoint { get; init; }

    public string? ApiKeyVariable { get; init; }

    public string CriticModel { get; init; } = "gpt-4-turbo";

    public string? JudgeModel { get; init; }

    public int MaxNewTokens { get; init; } = 2048;

    public int Epochs { get; init; } = 5;

    public int BatchSize { get; init; } = 32;

    public int MaxLength { get; init; } = 8192;

    public int Threads { get; init; } = Environment.ProcessorCount;

    public string? ChatTemplate { get; init; }

    public long Seed { get; init; }

    public bool Verbose { get; init; }

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with a message for the user.</summary>
    public static SampleOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        bool verbose = false;
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name == "--verbose")
            {
                verbose = true;
                continue;
            }

            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"Expected '--name value' pairs; '{name}' has no value.");
            }

            values[name[2..]] = args[++i];
        }

        string Required(string name) => values.Remove(name, out var value) ? value : throw new ArgumentException($"--{name} is required.");
        string? Optional(string name) => values.Remove(name, out var value) ? value : null;
        int Int(string name, int fallback) => Optional(name) is string text
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"--{name} must be a positive integer, not '{text}'.")
            : fallback;

        var options = new SampleOptions
        {
            ModelFolder = Required("model"),
            InstructionsFile = Required("instructions"),
            EvalFile = Optional("eval"),
            RunDirectory = Optional("run") ?? Path.Combine("runs", "openai"),
            Endpoint = Optional("endpoint") is string url
                ? Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : throw new ArgumentException($"--endpoint '{url}' is not an absolute URL.")
                : null,
            ApiKeyVariable = Optional("api-key-env"),
            CriticModel = Optional("critic-model") ?? "gpt-4-turbo",
            JudgeModel = Optional("judge-model"),
            MaxNewTokens = Int("max-new-tokens", 2048),
            Epochs = Int("epochs", 5),
            BatchSize = Int("batch-size", 32),
            MaxLength = Int("max-length", 8192),
            Threads = Int("threads", Environment.ProcessorCount),
            ChatTemplate = Optional("chat-template"),
            Seed = Optional("seed") is string seed ? long.Parse(seed, CultureInfo.InvariantCulture) : 0,
            Verbose = verbose,
        };
        if (values.Count > 0)
        {
            throw new ArgumentException($"Unknown option --{values.Keys.First()}.");
        }

        return options;
    }
}
