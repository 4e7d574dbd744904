using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Xml.Linq;
using Srt.TorchSharp.Build;

namespace Srt.TorchSharp.Tests.Natives;

/// <summary>
/// An app outside this repository that references the packed Srt.TorchSharp package gets the natives patch through
/// buildTransitive: after a plain <c>dotnet build</c> it runs TorchSharp, and <c>dotnet publish</c> output is patched too.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ConsumingProjectTests : IDisposable
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);
    private const string Library = "libstdc++.so.6";
    private const string Version = "GLIBCXX_3.4.32";
    private readonly string _root = NativesTestEnvironment.CreateTemporaryDirectory("natives-consumer");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void PackedPackage_PlainBuildRunAndPublish_LoadsTorchSharpFromPatchedNatives()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            return; // the consumer references libtorch-cpu-linux-x64
        }
        bool systemLacksVersion = ElfVersionNeedPatcher.MissingVersions(SystemLibraryLocator.Find(Library), [Version]).Count > 0;
        string packageVersion = $"0.0.0-natives.{DateTime.UtcNow.Ticks}";
        string feed = Pack(packageVersion);
        string app = WriteConsumer(packageVersion, feed);

        string build = DotnetCli.Succeed(app, StepTimeout, "build", "--disable-build-servers", "-v:n", "-nologo");
        string built = Path.Combine(app, "bin", "Debug", "net10.0", "runtimes", "linux-x64", "native", NativesTestEnvironment.LibraryFileName);
        Assert.Equal(systemLacksVersion, IsWeak(built));
        Assert.Equal(systemLacksVersion, build.Contains($"Srt: marked the need for {Library} version {Version} as weak in {built}", StringComparison.Ordinal));

        string run = DotnetCli.Succeed(app, StepTimeout, "run", "--no-build");
        Assert.Contains("SUM 20", run);
        Assert.Contains("GRAD 2,4,6", run);

        DotnetCli.Succeed(app, StepTimeout, "publish", "-c", "Debug", "--no-build", "--disable-build-servers", "-o", "published", "-nologo");
        string published = Path.Combine(app, "published", "runtimes", "linux-x64", "native", NativesTestEnvironment.LibraryFileName);
        Assert.Equal(systemLacksVersion, IsWeak(published));

        string enabled = DotnetCli.Succeed(app, StepTimeout, "msbuild", "-getProperty:_SrtPatchTorchSharpNativesEnabled", "-nologo");
        string optedOut = DotnetCli.Succeed(app, StepTimeout, "msbuild", "-getProperty:_SrtPatchTorchSharpNativesEnabled", "-p:SrtPatchTorchSharpNatives=false", "-nologo");
        Assert.Equal("true", enabled.Trim());
        Assert.Equal("false", optedOut.Trim());
    }

    /// <summary>Packs Srt.Abstractions, Srt and Srt.TorchSharp (already built by this test run) into a local feed.</summary>
    private string Pack(string packageVersion)
    {
        string feed = Path.Combine(_root, "feed");
        string source = Path.Combine(NativesTestEnvironment.RepositoryRoot, "src");
        string projects = string.Join(';', new[] { "Srt.Abstractions", "Srt", "Srt.TorchSharp" }.Select(p => Path.Combine(source, p, p + ".csproj")));
        var packProject = new XElement("Project",
            new XElement("Target", new XAttribute("Name", "Pack"),
                new XElement("MSBuild",
                    new XAttribute("Projects", projects),
                    new XAttribute("Targets", "Pack"),
                    new XAttribute("Properties", $"NoBuild=true;Configuration={NativesTestEnvironment.BuildConfiguration};PackageOutputPath={feed}/;NuspecOutputPath={_root}/nuspec/;Version={packageVersion}"))));
        string packFile = Path.Combine(_root, "pack.proj");
        packProject.Save(packFile);
        DotnetCli.Succeed(_root, StepTimeout, "msbuild", packFile, "-t:Pack", "-nologo", "-v:m");

        using var package = ZipFile.OpenRead(Path.Combine(feed, $"Srt.TorchSharp.{packageVersion}.nupkg"));
        var entries = package.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("buildTransitive/Srt.TorchSharp.targets", entries);
        Assert.Contains("buildTransitive/ElfVersionNeedPatcher.cs", entries);
        Assert.Contains("buildTransitive/SystemLibraryLocator.cs", entries);
        Assert.Contains("lib/net10.0/Srt.TorchSharp.dll", entries);
        return feed;
    }

    /// <summary>
    /// A console app under the temp folder (so no Directory.Build.* of this repo applies) with its own packages
    /// folder for the freshly packed Srt packages; everything else resolves from the machine's NuGet cache as a
    /// read-only fallback folder, so the test neither downloads libtorch again nor leaves test packages in the cache.
    /// </summary>
    private string WriteConsumer(string packageVersion, string feed)
    {
        string app = Path.Combine(_root, "app");
        Directory.CreateDirectory(app);
        new XElement("configuration",
            new XElement("config", Add("globalPackagesFolder", Path.Combine(_root, "packages"))),
            new XElement("packageSources", new XElement("clear"), Add("srt-local", feed), Add("nuget.org", "https://api.nuget.org/v3/index.json")),
            new XElement("fallbackPackageFolders", new XElement("clear"), Add("machine-cache", NativesTestEnvironment.NuGetPackageRoot)))
            .Save(Path.Combine(app, "nuget.config"));
        new XElement("Project", new XAttribute("Sdk", "Microsoft.NET.Sdk"),
            new XElement("PropertyGroup",
                new XElement("OutputType", "Exe"),
                new XElement("TargetFramework", "net10.0"),
                new XElement("ImplicitUsings", "enable"),
                new XElement("Nullable", "enable")),
            new XElement("ItemGroup",
                Reference("Srt.TorchSharp", packageVersion),
                Reference("TorchSharp", NativesTestEnvironment.TorchSharpVersion),
                Reference("libtorch-cpu-linux-x64", CentralPackageVersion("libtorch-cpu-linux-x64"))))
            .Save(Path.Combine(app, "Consumer.csproj"));
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using TorchSharp;

            var product = torch.ones(2, 2).matmul(torch.tensor(new[] { 1f, 2f, 3f, 4f }).reshape(2, 2));
            Console.WriteLine($"SUM {product.sum().item<float>()}");
            var x = torch.tensor(new[] { 1f, 2f, 3f }, requires_grad: true);
            (x * x).sum().backward();
            Console.WriteLine($"GRAD {string.Join(",", x.grad!.data<float>().ToArray())}");
            """);
        return app;
    }

    private static XElement Add(string key, string value) => new("add", new XAttribute("key", key), new XAttribute("value", value));

    private static XElement Reference(string id, string version) => new("PackageReference", new XAttribute("Include", id), new XAttribute("Version", version));

    private static string CentralPackageVersion(string id)
    {
        var props = XDocument.Load(Path.Combine(NativesTestEnvironment.RepositoryRoot, "Directory.Packages.props"));
        return props.Descendants("PackageVersion").Single(e => (string?)e.Attribute("Include") == id).Attribute("Version")!.Value;
    }

    private static bool IsWeak(string library) =>
        ElfReader.ReadVersionNeeds(File.ReadAllBytes(library)).Single(n => n.Library == Library && n.Version == Version).IsWeak;
}
