using System.Reflection;
using TorchSharp;

namespace Srt.TorchSharp.Tests.Natives;

/// <summary>Where the natives tests find the repository, the NuGet cache and the TorchSharp native library.</summary>
internal static class NativesTestEnvironment
{
    public const string LibraryFileName = "libLibTorchSharp.so";

    /// <summary>The folder holding Srt.sln, found by walking up from the test binaries.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Srt.sln")))
                {
                    return directory.FullName;
                }
            }
            throw new InvalidOperationException($"No Srt.sln above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>The NuGet global packages folder this test project was restored into.</summary>
    public static string NuGetPackageRoot => Metadata("NuGetPackageRoot");

    /// <summary>The configuration (Debug/Release) this test project was built in.</summary>
    public static string BuildConfiguration => Metadata("BuildConfiguration");

    /// <summary>The TorchSharp package version, from the TorchSharp assembly this test runs against.</summary>
    public static string TorchSharpVersion
    {
        get
        {
            string? informational = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            Assert.False(string.IsNullOrEmpty(informational), "TorchSharp carries no informational version.");
            return informational!.Split('+')[0];
        }
    }

    /// <summary>The untouched libLibTorchSharp.so inside the NuGet cache.</summary>
    public static string CachedLibrary => Path.Combine(NuGetPackageRoot, "torchsharp", TorchSharpVersion, "runtimes", "linux-x64", "native", LibraryFileName);

    /// <summary>The build output's copy that this test process loads.</summary>
    public static string OutputLibrary => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", LibraryFileName);

    /// <summary>A fresh, empty folder under the system temp folder (outside the repository, so no Directory.Build.* applies).</summary>
    public static string CreateTemporaryDirectory(string purpose)
    {
        string path = Path.Combine(Path.GetTempPath(), $"srt-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    private static string Metadata(string key)
    {
        string? value = typeof(NativesTestEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
        Assert.False(string.IsNullOrEmpty(value), $"The test assembly carries no {key} metadata; see Srt.TorchSharp.Tests.csproj.");
        return value!;
    }
}
