using System.Reflection;
using Srt.Benchmarks;

// Benchmarks print one JSON object per line on standard output; progress and errors go to standard error.
// docs/benchmarks.md records the commands and the measured results.
var benchmarks = typeof(IBenchmark).Assembly.GetTypes()
    .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IBenchmark)Activator.CreateInstance(t, nonPublic: true)!)
    .OrderBy(b => b.Name, StringComparer.Ordinal)
    .ToList();

var chosen = args.Length > 0 ? benchmarks.FirstOrDefault(b => b.Name == args[0]) : null;
if (chosen is null)
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project tests/Srt.Benchmarks -- <benchmark> [options]");
    Console.Error.WriteLine();
    foreach (var b in benchmarks)
    {
        Console.Error.WriteLine($"  {b.Name,-24} {b.Description}");
    }

    return 2;
}

return chosen.Run(args[1..], Console.Out);
