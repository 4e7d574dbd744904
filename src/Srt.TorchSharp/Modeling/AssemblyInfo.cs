using System.Runtime.CompilerServices;

// The model tests check internal modules (RMSNorm, rotary tables) against hand-computed values.
[assembly: InternalsVisibleTo("Srt.TorchSharp.Tests")]
