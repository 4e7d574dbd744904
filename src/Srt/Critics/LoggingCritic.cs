using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Srt;

/// <summary>
/// A critic that logs each critique: a summary at <see cref="LogLevel.Debug"/> (score, completeness, lengths,
/// duration) and the instruction, response and answer only at <see cref="LogLevel.Trace"/>.
/// </summary>
public sealed partial class LoggingCritic : DelegatingCritic
{
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="LoggingCritic"/> class.</summary>
    /// <param name="innerCritic">The critic to pass calls on to.</param>
    /// <param name="logger">The logger to write to.</param>
    public LoggingCritic(ICritic innerCritic, ILogger logger)
        : base(innerCritic)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
    }

    /// <inheritdoc />
    public override async Task<Critique> CritiqueAsync(CritiqueRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_logger.IsEnabled(LogLevel.Debug))
        {
            return await base.CritiqueAsync(request, cancellationToken).ConfigureAwait(false);
        }

        if (_logger.IsEnabled(LogLevel.Trace))
        {
            LogRequestContents(request.Instruction, request.Response);
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            var critique = await base.CritiqueAsync(request, cancellationToken).ConfigureAwait(false);
            LogCompleted(
                critique.Feedback.Score,
                critique.Feedback.IsComplete && critique.ImprovedResponse is not null,
                critique.Feedback.Weaknesses.Count,
                critique.Feedback.Suggestions.Count,
                request.Instruction.Length,
                request.Response.Length,
                critique.RawText.Length,
                Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (_logger.IsEnabled(LogLevel.Trace))
            {
                LogAnswerContents(critique.RawText);
            }

            return critique;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogCanceled(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            throw;
        }
        catch (Exception ex)
        {
            // The type only: exception messages of HTTP clients can echo request bodies.
            LogFailed(ex.GetType().Name, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            throw;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug,
        Message = "Critique done: score {Score}, complete {IsComplete}, {Weaknesses} weaknesses, {Suggestions} suggestions; instruction {InstructionChars} chars, response {ResponseChars} chars, answer {AnswerChars} chars; {ElapsedMs:F0} ms.")]
    private partial void LogCompleted(
        int? score, bool isComplete, int weaknesses, int suggestions, int instructionChars, int responseChars, int answerChars, double elapsedMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Critique canceled after {ElapsedMs:F0} ms.")]
    private partial void LogCanceled(double elapsedMs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Critique failed with {ExceptionType} after {ElapsedMs:F0} ms.")]
    private partial void LogFailed(string exceptionType, double elapsedMs);

    [LoggerMessage(EventId = 4, Level = LogLevel.Trace, Message = "Critique request. Instruction: {Instruction} Response: {Response}")]
    private partial void LogRequestContents(string instruction, string response);

    [LoggerMessage(EventId = 5, Level = LogLevel.Trace, Message = "Critique answer: {Answer}")]
    private partial void LogAnswerContents(string answer);
}
