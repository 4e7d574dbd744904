namespace Srt.Benchmarks;

/// <summary>One benchmark of the console; found by reflection, chosen by <see cref="Name"/> on the command line.</summary>
internal interface IBenchmark
{
    /// <summary>Gets the name used on the command line, such as <c>fused-ce</c>.</summary>
    string Name { get; }

    /// <summary>Gets one line saying what the benchmark measures.</summary>
    string Description { get; }

    /// <summary>Runs the benchmark, writing one JSON object per line to <paramref name="output"/>.</summary>
    /// <param name="args">The arguments after the benchmark name.</param>
    /// <param name="output">Where JSON lines go (standard output).</param>
    /// <returns>The process exit code.</returns>
    int Run(string[] args, TextWriter output);
}
