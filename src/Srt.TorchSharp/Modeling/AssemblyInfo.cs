using System.Runtime.CompilerServices;

// The model tests check internal modules (RMSNorm, rotary tables) against hand-computed values.
[assembly: InternalsVisibleTo("Srt.TorchSharp.Tests")]

// The CUDA memory check switches the release of backward outputs off to show the difference.
[assembly: InternalsVisibleTo("Srt.Benchmarks")]
