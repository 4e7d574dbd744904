using Microsoft.Extensions.Logging;

namespace Srt.Cli;

/// <summary>The commands' logging: warnings and errors on the console, everything from Debug with <c>--verbose</c>.</summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(bool verbose) =>
        LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning));
}
