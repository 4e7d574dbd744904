using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Srt.Testing;

/// <summary>
/// An OpenAI-compatible server on loopback (HttpListener) that answers <c>/v1/chat/completions</c> with canned
/// critiques, refinement scores, refinements and judge verdicts, and counts requests and reported tokens by kind.
/// <see cref="FailNext"/> queues HTTP errors (429 with Retry-After, 500, …) answered before the canned replies.
/// Linked into the test projects that need a real HTTP wire (tests/Shared).
/// </summary>
internal sealed class LoopbackOpenAIServer : IDisposable
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

    public LoopbackOpenAIServer()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        Endpoint = new Uri($"http://127.0.0.1:{port}/v1");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
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

    public void Dispose()
    {
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
        using var request = JsonDocument.Parse(reader.ReadToEnd());
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
        (string kind, string text) = prompt switch
        {
            _ when prompt.Contains("## Output A", StringComparison.Ordinal) => ("judge", "[[A]]"),
            _ when prompt.Contains("Do not write an improved response.", StringComparison.Ordinal) => ("score", ScoreOnly),
            _ when prompt.TrimEnd().EndsWith("### Feedback", StringComparison.Ordinal) => ("critique", Critique),
            _ => ("refine", "### Improved Response\nA refined answer."),
        };
        long promptTokens = prompt.Length / 4, completionTokens = text.Length / 4;
        lock (_gate)
        {
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
        string instruction = InstructionOf(prompt);
        lock (_gate)
        {
            Finished.Add((kind, instruction, DateTimeOffset.UtcNow));
        }

        OnFinished?.Invoke(kind, instruction);
    }

    /// <summary>The first line under the critic prompt's <c>### Instruction</c> heading, or empty (judge prompts).</summary>
    private static string InstructionOf(string prompt)
    {
        int heading = prompt.IndexOf("### Instruction", StringComparison.Ordinal);
        return heading < 0
            ? string.Empty
            : prompt[(heading + "### Instruction".Length)..].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
    }

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
