// Benchmarks print one JSON object per line; see docs/benchmarks.md for the commands and recorded results.
Console.Error.WriteLine("usage: dotnet run -c Release --project tests/Srt.Benchmarks -- <benchmark>");
return 2;
