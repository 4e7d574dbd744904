using System.Globalization;

namespace Srt.Benchmarks.Training;

/// <summary>One configuration of the <c>checkpointing</c> benchmark, passed to its child process as one argument.</summary>
internal sealed record CheckpointingCase(string Model, int Tokens, bool Checkpointing, bool Lora, int Threads, int WarmupTokens)
{
    public string ToArgument() => string.Join(',', Model, Tokens.ToString(CultureInfo.InvariantCulture), Checkpointing ? "on" : "off",
        Lora ? "lora" : "full", Threads.ToString(CultureInfo.InvariantCulture), WarmupTokens.ToString(CultureInfo.InvariantCulture));

    public static CheckpointingCase Parse(string argument)
    {
        var parts = argument.Split(',');
        if (parts.Length != 6)
        {
            throw new ArgumentException($"--case needs model,tokens,on|off,full|lora,threads,warmup-tokens; got '{argument}'.");
        }
        return new CheckpointingCase(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), parts[2] == "on", parts[3] == "lora",
            int.Parse(parts[4], CultureInfo.InvariantCulture), int.Parse(parts[5], CultureInfo.InvariantCulture));
    }
}
