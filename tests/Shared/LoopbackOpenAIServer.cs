using System.Net;
using System.Text;
using System.Text.Json;

namespace Srt.Testing;

/// <summary>
/// An OpenAI-compatible server on loopback (HttpListener) that answers <c>/v1/chat/completions</c> with canned
/// critiques, refinement scores, refinements and judge verdicts, and counts requests and reported tokens by kind.
/// <see cref="FailNext"/> queues HTTP errors (429 with Retry-After, 500, …) answered before the canned replies.
/// Linked into the test projects that need a real HTTP wire (tests/Shared).
/// </summary>
internal sealed partial class LoopbackOpenAIServer : IDisposable
{
    public const string Critique = "Weaknesses:\n- The answer is vague.\nSuggestions:\n- Be specific.\nOverall Score: [[3]]\n\n### Improved Response\nA specific, complete answer.";
    public const string ScoreOnly = "Weaknesses:\n- Minor.\nSuggestions:\n- None needed.\nOverall Score: [[8]]";

    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _authorizations = [];
    private readonly Queue<(int Status, string? RetryAfter)> _faults = new();
    private int _unauthorized;
    private int _faultsAnswered;
    private int _truncateNext;
    private readonly Dictionary<string, Func<string, string>> _policies = new(StringComparer.Ordinal);
    private HoldState? _hold;
    private int _held;

    public LoopbackOpenAIServer()
    {
        Endpoint = LoopbackPort.Listen(_listener);
        _loop = Task.Run(ServeAsync);
    }

    public Uri Endpoint { get; }

    public Dictionary<string, int> Requests { get; } = [];

    public Dictionary<string, (long Prompt, long Completion)> Tokens { get; } = [];

    public int Total { get { lock (_gate) { return Requests.Values.Sum(); } } }

    /// <summary>Gets the number of requests answered with a queued error.</summary>
    public int FaultsAnswered { get { lock (_gate) { return _faultsAnswered; } } }

    /// <summary>Answers the next request with <paramref name="status"/> (and a Retry-After header when given).</summary>
    public void FailNext(int status, string? retryAfter = null)
    {
        lock (_gate)
        {
            _faults.Enqueue((status, retryAfter));
        }
    }

    /// <summary>Gets or sets the API key the server accepts; any other Authorization header gets OpenAI's 401 answer. <see langword="null"/> accepts any.</summary>
    public string? RequiredKey { get; set; }

    /// <summary>Gets or sets how long the server waits before answering each canned reply, so calls are in flight for a while.</summary>
    public TimeSpan ReplyDelay { get; set; }

    /// <summary>Gets the requests rejected for a wrong key.</summary>
    public int Unauthorized { get { lock (_gate) { return _unauthorized; } } }

    /// <summary>Gets when each canned reply was fully written (kind, the first line of the critic prompt's instruction, UTC time), in finishing order.</summary>
    public List<(string Kind, string Instruction, DateTimeOffset At)> Finished { get; } = [];

    /// <summary>Called after each canned reply is fully written, with its kind and the first line of the critic prompt's instruction.</summary>
    public Action<string, string>? OnFinished { get; set; }

    /// <summary>Answers the next <paramref name="count"/> canned replies with a 200 whose JSON body is cut in half (Content-Length matches the cut body).</summary>
    public void TruncateNext(int count = 1)
    {
        lock (_gate)
        {
            _truncateNext += count;
        }
    }

    public int Count(string kind) { lock (_gate) { return Requests.GetValueOrDefault(kind); } }

    /// <summary>Gets the number of requests that carried this Authorization header.</summary>
    public int Authorized(string header) { lock (_gate) { return _authorizations.GetValueOrDefault(header); } }

    /// <summary>Gets every chat request answered with a completion, in order: what a server's access log would show.</summary>
    public List<ServedRequest> Log { get; } = [];

    /// <summary>
    /// Answers requests for <paramref name="model"/> as a policy (kind "policy:{model}"). With <paramref name="asAdapter"/>,
    /// the name is a LoRA adapter: requests for it get 404 (as from vLLM) until <c>/v1/load_lora_adapter</c> loads it.
    /// </summary>
    public void ServePolicy(string model, Func<string, string> answer, bool asAdapter = false)
    {
        lock (_gate)
        {
            _policies[model] = answer;
            if (asAdapter)
            {
                _adapterPolicies.Add(model);
            }
        }
    }

    /// <summary>Gets a snapshot of the log, safe to read while requests arrive.</summary>
    public ServedRequest[] LogSnapshot() { lock (_gate) { return [.. Log]; } }

    /// <summary>
    /// Answers <paramref name="after"/> more requests of <paramref name="kind"/>, then holds later ones unanswered
    /// (not logged, not counted) until <see cref="DropHeld"/>: a test can kill a client knowing which requests completed.
    /// </summary>
    public void Hold(string kind, int after)
    {
        lock (_gate)
        {
            _hold = new HoldState(kind, after);
        }
    }

    /// <summary>Gets the number of requests being held unanswered now.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Aborts the held requests' connections without an answer and stops holding.</summary>
    public void DropHeld()
    {
        TaskCompletionSource? gate;
        lock (_gate)
        {
            gate = _hold?.Gate;
            _hold = null;
        }

        gate?.TrySetResult();
    }

    public void Dispose()
    {
        DropHeld();
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener was closed under the pending GetContextAsync.
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => Answer(context));
        }
    }

    private void Answer(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        string requestBody = reader.ReadToEnd();
        if (context.Request.Url?.AbsolutePath is "/v1/load_lora_adapter" or "/v1/unload_lora_adapter" or "/v1/models")
        {
            AnswerAdapterRoute(context, requestBody);
            return;
        }

        using var request = JsonDocument.Parse(requestBody);
        if (NextFault() is { } fault)
        {
            context.Response.StatusCode = fault.Status;
            if (fault.RetryAfter is not null)
            {
                context.Response.AddHeader("Retry-After", fault.RetryAfter);
            }

            byte[] error = Encoding.UTF8.GetBytes("""{"error":{"message":"injected by the test server","type":"server_error"}}""");
            context.Response.ContentType = "application/json";
            context.Response.OutputStream.Write(error);
            context.Response.Close();
            return;
        }

        if (RequiredKey is string key && context.Request.Headers["Authorization"] != "Bearer " + key)
        {
            lock (_gate)
            {
                _unauthorized++;
            }

            // OpenAI's answer to a wrong key.
            context.Response.StatusCode = 401;
            byte[] denied = Encoding.UTF8.GetBytes("""{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""");
            context.Response.ContentType = "application/json";
            context.Response.OutputStream.Write(denied);
            context.Response.Close();
            return;
        }

        string prompt = string.Concat(request.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
        string model = request.RootElement.GetProperty("model").GetString() ?? string.Empty;
        if (IsUnloadedAdapter(model))
        {
            byte[] missing = Encoding.UTF8.GetBytes(ErrorJson($"The model `{model}` does not exist.", "NotFoundError", 404));
            context.Response.StatusCode = 404;
            context.Response.ContentType = "application/json";
            context.Response.OutputStream.Write(missing);
            context.Response.Close();
            return;
        }

        (string kind, string text) = PolicyAnswer(model, prompt) ?? prompt switch
        {
            _ when prompt.Contains("## Output A", StringComparison.Ordinal) => ("judge", "[[A]]"),
            _ when prompt.Contains("Do not write an improved response.", StringComparison.Ordinal) => ("score", ScoreOnly),
            _ when prompt.TrimEnd().EndsWith("### Feedback", StringComparison.Ordinal) => ("critique", Critique),
            _ => ("refine", "### Improved Response\nA refined answer."),
        };
        long promptTokens = prompt.Length / 4, completionTokens = text.Length / 4;
        if (HeldGate(kind) is { } held)
        {
            Interlocked.Increment(ref _held);
            held.Wait();
            Interlocked.Decrement(ref _held);
            context.Response.Abort();
            return;
        }

        lock (_gate)
        {
            Log.Add(new ServedRequest(kind, model, prompt, requestBody, promptTokens, completionTokens));
            Requests[kind] = Requests.GetValueOrDefault(kind) + 1;
            string authorization = context.Request.Headers["Authorization"] ?? string.Empty;
            _authorizations[authorization] = _authorizations.GetValueOrDefault(authorization) + 1;
            var sum = Tokens.GetValueOrDefault(kind);
            Tokens[kind] = (sum.Prompt + promptTokens, sum.Completion + completionTokens);
        }

        var body = new
        {
            id = "chatcmpl-test",
            @object = "chat.completion",
            created = 0,
            model = request.RootElement.GetProperty("model").GetString(),
            choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "stop" } },
            usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
        };
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        if (ReplyDelay > TimeSpan.Zero)
        {
            Thread.Sleep(ReplyDelay);
        }

        lock (_gate)
        {
            if (_truncateNext > 0)
            {
                _truncateNext--;
                bytes = bytes[..(bytes.Length / 2)];
            }
        }

        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
        string instruction = CriticPromptText.InstructionOf(prompt);
        lock (_gate)
        {
            Finished.Add((kind, instruction, DateTimeOffset.UtcNow));
        }

        OnFinished?.Invoke(kind, instruction);
    }

    private (string Kind, string Text)? PolicyAnswer(string model, string prompt)
    {
        Func<string, string>? answer;
        lock (_gate)
        {
            answer = _policies.GetValueOrDefault(model);
        }

        return answer is null ? null : ("policy:" + model, answer(prompt));
    }


    private Task? HeldGate(string kind)
    {
        lock (_gate)
        {
            // Admission is counted here, under the lock, so concurrent requests cannot both take the last place.
            if (_hold is not { } hold || hold.Kind != kind)
            {
                return null;
            }

            return hold.Admitted++ < hold.After ? null : hold.Gate.Task;
        }
    }


    private static string ErrorJson(string message, string type, int code) =>
        JsonSerializer.Serialize(new { error = new { message, type, code } });

    private (int Status, string? RetryAfter)? NextFault()
    {
        lock (_gate)
        {
            if (_faults.Count == 0)
            {
                return null;
            }

            _faultsAnswered++;
            return _faults.Dequeue();
        }
    }
}

/// <summary>Requests of one kind admitted so far, and the gate later ones wait at.</summary>
internal sealed class HoldState(string kind, int after)
{
    public string Kind { get; } = kind;

    public int After { get; } = after;

    public int Admitted { get; set; }

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>One chat request the loopback server answered, with the token counts it reported.</summary>
internal sealed record ServedRequest(string Kind, string Model, string Prompt, string Body, long PromptTokens, long CompletionTokens);
