using System.ClientModel;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Srt;

/// <summary>
/// The policy model of the self-refinement loop over any <see cref="IChatClient"/>: a vLLM, SGLang, llama.cpp or
/// Ollama server behind an OpenAI-compatible endpoint, or a hosted model. One request per prompt, at most
/// <see cref="ChatClientPolicyModelOptions.MaxConcurrentRequests"/> in flight.
/// </summary>
/// <remarks>
/// <para>Transient failures are retried by a <see cref="RetryingChatClient"/> (see <see cref="ChatClientPolicyModelOptions.Retry"/>),
/// the same policy the critic uses; a response without a finish reason counts as one, because it is usually a
/// stream cut short.</para>
/// <para>A prompt whose request still fails gets <see cref="PolicyCompletion.Failed"/>, and the loop records that
/// item alone as failed (a prompt longer than the model's context is such a case). A failure no retry and no other
/// prompt can fix (rejected key, unknown model, invalid request) cancels the other requests and is thrown, so the
/// run stops instead of failing every item the same way.</para>
/// <para>Prompt <c>i</c> of a call is sent with seed <see cref="GenerationOptions.Seed"/> + <c>i</c>, so sampling
/// does not depend on which requests happen to run together; servers that accept a seed (vLLM, SGLang, llama.cpp,
/// Ollama, OpenAI) then reproduce it. Token counts are the server's own (<see cref="ChatResponse.Usage"/>). Logs
/// name the prompt's index, the failure's type and HTTP status, never message contents or keys.</para>
/// </remarks>
public sealed partial class ChatClientPolicyModel : IPolicyModel, IDisposable
{
    private readonly IChatClient _chatClient;
    private readonly ChatClientPolicyModelOptions _options;
    private readonly SemaphoreSlim _slots;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="ChatClientPolicyModel"/> class.</summary>
    /// <param name="chatClient">The chat client of the policy model. It is not disposed with this instance.</param>
    /// <param name="options">The settings; <see langword="null"/> uses the defaults.</param>
    /// <param name="loggerFactory">Receives retry and failure warnings; may be <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for retry delays; <see langword="null"/> uses the system clock.</param>
    public ChatClientPolicyModel(
        IChatClient chatClient, ChatClientPolicyModelOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        _options = options ?? new ChatClientPolicyModelOptions();
        _options.Validate();
        _logger = loggerFactory?.CreateLogger<ChatClientPolicyModel>() ?? NullLogger<ChatClientPolicyModel>.Instance;
        _chatClient = _options.Retry is null || chatClient.GetService<RetryingChatClient>() is not null
            ? chatClient
            : new RetryingChatClient(chatClient, _options.Retry, loggerFactory?.CreateLogger<RetryingChatClient>(), timeProvider);
        _slots = new SemaphoreSlim(_options.MaxConcurrentRequests, _options.MaxConcurrentRequests);
    }

    /// <summary>Gets the chat client the policy calls, with retries when they were added.</summary>
    public IChatClient ChatClient => _chatClient;

    /// <inheritdoc />
    /// <exception cref="UnrecoverableCallException">
    /// A request failed in a way no retry can fix (such as HTTP 401, 403 or 404, or an invalid request); the other
    /// requests were cancelled. The inner exception is the server's answer.
    /// </exception>
    public async Task<IReadOnlyList<PolicyCompletion>> GenerateAsync(
        IReadOnlyList<IReadOnlyList<ChatMessage>> prompts, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        GenerationOptions settings = (options ?? _options.DefaultGenerationOptions).Clone();
        ValidateGeneration(settings, string.Empty);
        for (int i = 0; i < prompts.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(prompts[i], $"prompts[{i}]");
        }

        if (prompts.Count == 0)
        {
            return [];
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? fatal = null;
        var completions = new PolicyCompletion[prompts.Count];
        var requests = new Task[prompts.Count];
        for (int i = 0; i < prompts.Count; i++)
        {
            int index = i;
            requests[i] = Task.Run(
                async () =>
                {
                    try
                    {
                        completions[index] = await GenerateOneAsync(prompts[index], settings, index, stop).ConfigureAwait(false);
                    }
                    catch (UnrecoverableRequestException unrecoverable)
                    {
                        if (Interlocked.CompareExchange(ref fatal, unrecoverable.InnerException, null) is null)
                        {
                            await stop.CancelAsync().ConfigureAwait(false);
                        }
                    }
                },
                CancellationToken.None);
        }

        try
        {
            await Task.WhenAll(requests).ConfigureAwait(false);
        }
        catch (Exception) when (fatal is not null && !cancellationToken.IsCancellationRequested)
        {
            // The other requests stopped because one failed for good; that failure is the one to report.
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (fatal is not null)
        {
            UnrecoverableCallException unrecoverable = UnrecoverableFailure.ToStop(fatal, "policy generation")!;
            LogUnrecoverable(fatal.GetType().Name, unrecoverable.StatusCode, unrecoverable.Cause);
            throw unrecoverable;
        }

        return completions;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType.IsInstanceOfType(this))
        {
            return this;
        }

        return serviceKey is null && serviceType == typeof(ChatClientPolicyModelOptions)
            ? _options
            : _chatClient.GetService(serviceType, serviceKey);
    }

    /// <summary>Releases the concurrency gate; the chat client is not owned and stays open.</summary>
    public void Dispose() => _slots.Dispose();

    /// <summary>Checks sampling settings, naming the bad one.</summary>
    /// <param name="settings">The settings.</param>
    /// <param name="prefix">The path of the settings in the caller's options, for the message.</param>
    internal static void ValidateGeneration(GenerationOptions settings, string prefix)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!float.IsFinite(settings.Temperature) || settings.Temperature < 0)
        {
            throw new ArgumentOutOfRangeException(prefix + nameof(GenerationOptions.Temperature), settings.Temperature, "The temperature must be a finite number ≥ 0.");
        }

        if (!float.IsFinite(settings.TopP) || settings.TopP <= 0 || settings.TopP > 1)
        {
            throw new ArgumentOutOfRangeException(prefix + nameof(GenerationOptions.TopP), settings.TopP, "TopP must be in (0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(settings.TopK, prefix + nameof(GenerationOptions.TopK));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxNewTokens, 1, prefix + nameof(GenerationOptions.MaxNewTokens));
        if (settings.StopSequences.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("A stop sequence must not be null or empty.", prefix + nameof(GenerationOptions.StopSequences));
        }
    }

    private async Task<PolicyCompletion> GenerateOneAsync(
        IReadOnlyList<ChatMessage> prompt, GenerationOptions settings, int index, CancellationTokenSource stop)
    {
        CancellationToken cancellationToken = stop.Token;
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        ChatResponse response;
        try
        {
            response = await _chatClient.GetResponseAsync(prompt, PolicyRequests.CreateChatOptions(_options.ModelId, settings, index), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            if (UnrecoverableFailure.IsUnrecoverable(exception, out _))
            {
                // Stop the others before this request's slot is released, so no waiting request is sent after it.
                await stop.CancelAsync().ConfigureAwait(false);
                throw new UnrecoverableRequestException(exception);
            }

            int? status = StatusOf(exception);
            LogRequestFailed(index, exception.GetType().Name, status);
            return PolicyCompletion.Failed(DescribeFailure(exception, status));
        }
        finally
        {
            _slots.Release();
        }

        int? promptTokens = ToInt(response.Usage?.InputTokenCount);
        int? completionTokens = ToInt(response.Usage?.OutputTokenCount);
        PolicyCompletion completion = PolicyRequests.ToCompletion(response.Text, response.FinishReason, promptTokens, completionTokens);
        if (completion.FinishReason == CompletionFinishReason.Failed)
        {
            LogUnusableFinish(index, response.FinishReason?.Value ?? "(none)");
        }

        return completion;
    }

    private static string DescribeFailure(Exception exception, int? status)
    {
        string http = status is int code ? $" (HTTP {code.ToString(CultureInfo.InvariantCulture)})" : string.Empty;
        if (UnrecoverableFailure.IsContextLengthError(exception))
        {
            return $"the prompt does not fit the model's context{http}: shorten the instruction or raise the server's context length";
        }

        return $"the request failed after the retry policy gave up: {exception.GetType().Name}{http}";
    }

    private static int? StatusOf(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case ClientResultException { Status: > 0 } clientResult:
                    return clientResult.Status;
                case HttpRequestException { StatusCode: HttpStatusCode code }:
                    return (int)code;
            }
        }

        return null;
    }

    private static int? ToInt(long? count) => count is long value ? (int)Math.Clamp(value, 0, int.MaxValue) : null;

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Policy request for prompt {Index} failed with {ExceptionType} (HTTP status {Status}); that item fails alone.")]
    private partial void LogRequestFailed(int index, string exceptionType, int? status);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "Policy request for prompt {Index} ended with finish reason {FinishReason}; that item fails alone.")]
    private partial void LogUnusableFinish(int index, string finishReason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error,
        Message = "Policy request failed with {ExceptionType} (HTTP status {Status}): {Cause}. The other requests were cancelled.")]
    private partial void LogUnrecoverable(string exceptionType, int? status, string? cause);

    /// <summary>Carries an unrecoverable failure out of one request so the others can be cancelled.</summary>
    private sealed class UnrecoverableRequestException(Exception inner) : Exception(inner.Message, inner);
}
