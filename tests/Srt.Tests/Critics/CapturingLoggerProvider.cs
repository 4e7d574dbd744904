using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Srt.Tests.Critics;

/// <summary>Keeps every log entry at or above a minimum level.</summary>
internal sealed class CapturingLoggerProvider(LogLevel minimumLevel = LogLevel.Trace) : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(b => b.SetMinimumLevel(minimumLevel).AddProvider(this));

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Entries.Enqueue((logLevel, category, formatter(state, exception) + (exception is null ? string.Empty : " " + exception)));
            }
        }
    }

    private LogLevel MinimumLevel => minimumLevel;
}
