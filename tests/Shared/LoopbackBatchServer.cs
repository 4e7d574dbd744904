using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Srt.Testing;

/// <summary>What the server does with the next batch it finishes.</summary>
internal enum BatchFate
{
    /// <summary>Answers every line.</summary>
    Complete,

    /// <summary>Ends <c>failed</c> with a batch-level error and no output.</summary>
    Fail,

    /// <summary>Ends <c>expired</c> with the first half of the lines answered and the rest in the error file as <c>batch_expired</c>.</summary>
    ExpireHalf,
}

/// <summary>
/// An OpenAI Batch API on loopback (HttpListener): <c>/v1/files</c> (multipart upload, content download),
/// <c>/v1/batches</c> (create, retrieve, list newest first with metadata) and <c>/v1/chat/completions</c> for
/// synchronous calls, all answering from the same canned answers, which depend on the item's instruction number so
/// the loop's filters keep some items and drop others. A batch moves from <c>validating</c> to <c>in_progress</c> to
/// its end on successive status looks. Faults: errors on the next creates, a batch that fails or expires half done,
/// and line errors for chosen custom ids. It counts creates by request-file digest and batch answers by custom id.
/// </summary>
internal sealed partial class LoopbackBatchServer : IDisposable
{
    public const string DigestKey = "srt_request_digest";
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Name, byte[] Content)> _files = [];
    private readonly List<JsonObject> _batches = [];
    private readonly Queue<(int Status, string? RetryAfter)> _createFaults = new();
    private readonly Queue<BatchFate> _fates = new();
    private readonly Dictionary<string, int> _lineErrors = [];
    private int _nextId;

    public LoopbackBatchServer()
    {
        Endpoint = LoopbackPort.Listen(_listener);
        _loop = Task.Run(ServeAsync);
    }

    public Uri Endpoint { get; }

    /// <summary>Gets the number of batches created per request-file digest (the value the client puts in the metadata).</summary>
    public Dictionary<string, int> CreatesByDigest { get; } = [];

    /// <summary>Gets how often each custom id was answered inside a batch (each one a paid request).</summary>
    public Dictionary<string, int> BatchAnswers { get; } = [];

    /// <summary>Gets the synchronous chat-completion request bodies, in arrival order.</summary>
    public List<string> ChatBodies { get; } = [];

    /// <summary>Gets the request-file lines of every uploaded file, in upload order.</summary>
    public List<string> UploadedLines { get; } = [];

    public int Uploads { get; private set; }

    public int BatchesCreated { get { lock (_gate) { return _batches.Count; } } }

    /// <summary>Gets or sets what runs when a create arrives, after the batch exists and before the answer is written.</summary>
    public Action? OnCreate { get; set; }

    public int Count(string kind) { lock (_gate) { return ChatBodies.Count(body => Kind(PromptOf(JsonNode.Parse(body)!)) == kind); } }

    public void FailNextCreate(int status, string? retryAfter = null) { lock (_gate) { _createFaults.Enqueue((status, retryAfter)); } }

    public void NextBatches(params BatchFate[] fates) { lock (_gate) { foreach (BatchFate fate in fates) { _fates.Enqueue(fate); } } }

    /// <summary>Answers the given custom id with a line error in the next <paramref name="times"/> batches that hold it.</summary>
    public void FailLine(string customId, int times = 1) { lock (_gate) { _lineErrors[customId] = times; } }

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

            _ = Task.Run(() =>
            {
                try
                {
                    Answer(context);
                }
                catch (Exception exception) when (exception is HttpListenerException or IOException or ObjectDisposedException)
                {
                    // The client went away (a killed child process).
                }
            });
        }
    }

    private void Answer(HttpListenerContext context)
    {
        using var buffer = new MemoryStream();
        context.Request.InputStream.CopyTo(buffer);
        byte[] body = buffer.ToArray();
        string path = context.Request.Url!.AbsolutePath;
        string method = context.Request.HttpMethod;
        (int status, byte[] answer) = (method, path) switch
        {
            ("POST", "/v1/chat/completions") => Chat(body),
            ("POST", "/v1/files") => Upload(body, context.Request.ContentType ?? string.Empty),
            ("GET", _) when path.StartsWith("/v1/files/", StringComparison.Ordinal) && path.EndsWith("/content", StringComparison.Ordinal) => Content(path.Split('/')[3]),
            ("POST", "/v1/batches") => Create(body, context),
            ("GET", "/v1/batches") => List(context.Request.QueryString["after"], context.Request.QueryString["limit"]),
            ("GET", _) when path.StartsWith("/v1/batches/", StringComparison.Ordinal) => Retrieve(path.Split('/')[3]),
            _ => (404, Encoding.UTF8.GetBytes(new JsonObject { ["error"] = new JsonObject { ["message"] = $"no route {method} {path}", ["type"] = "invalid_request_error" } }.ToJsonString())),
        };
        if (status < 0)
        {
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = answer.Length;
        context.Response.OutputStream.Write(answer);
        context.Response.Close();
    }

    private (int, byte[]) Chat(byte[] body)
    {
        string text = Encoding.UTF8.GetString(body);
        lock (_gate)
        {
            ChatBodies.Add(text);
        }

        return (200, Encoding.UTF8.GetBytes(Completion(JsonNode.Parse(text)!).ToJsonString()));
    }

    private (int, byte[]) Upload(byte[] body, string contentType)
    {
        // multipart/form-data: find the part named "file" and keep its bytes exactly (Latin-1 maps bytes 1:1).
        string boundary = "--" + contentType.Split("boundary=")[1].Trim('"');
        string raw = Encoding.Latin1.GetString(body);
        string? name = null;
        byte[]? content = null;
        foreach (string part in raw.Split(boundary))
        {
            int headerEnd = part.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headerEnd < 0 || !part.Contains("name=\"file\"", StringComparison.Ordinal) && !part.Contains("name=file", StringComparison.Ordinal))
            {
                continue;
            }

            string headers = part[..headerEnd];
            int fileName = headers.IndexOf("filename=", StringComparison.Ordinal);
            name = fileName < 0 ? "upload.jsonl" : headers[(fileName + 9)..].Split(';', '\r')[0].Trim('"');
            string data = part[(headerEnd + 4)..];
            content = Encoding.Latin1.GetBytes(data.EndsWith("\r\n", StringComparison.Ordinal) ? data[..^2] : data);
        }

        if (content is null)
        {
            return (400, Encoding.UTF8.GetBytes("""{"error":{"message":"no file part","type":"invalid_request_error"}}"""));
        }

        string id;
        lock (_gate)
        {
            id = $"file-{++_nextId}";
            _files[id] = (name!, content);
            Uploads++;
            UploadedLines.AddRange(Encoding.UTF8.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        var file = new JsonObject
        {
            ["id"] = id, ["object"] = "file", ["bytes"] = content.Length, ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["filename"] = name, ["purpose"] = "batch", ["status"] = "processed",
        };
        return (200, Encoding.UTF8.GetBytes(file.ToJsonString()));
    }

    private (int, byte[]) Content(string fileId)
    {
        lock (_gate)
        {
            return _files.TryGetValue(fileId, out var file)
                ? (200, file.Content)
                : (404, Encoding.UTF8.GetBytes("""{"error":{"message":"no such file","type":"invalid_request_error"}}"""));
        }
    }

    private (int, byte[]) Create(byte[] body, HttpListenerContext context)
    {
        JsonNode request = JsonNode.Parse(body)!;
        JsonObject batch;
        lock (_gate)
        {
            if (_createFaults.TryDequeue(out var fault))
            {
                if (fault.RetryAfter is not null)
                {
                    context.Response.AddHeader("Retry-After", fault.RetryAfter);
                }

                return (fault.Status, Encoding.UTF8.GetBytes("""{"error":{"message":"Enqueued token limit reached (injected).","type":"rate_limit_error"}}"""));
            }

            string inputFile = request["input_file_id"]!.GetValue<string>();
            if (!_files.ContainsKey(inputFile))
            {
                return (400, Encoding.UTF8.GetBytes("""{"error":{"message":"no such input file","type":"invalid_request_error"}}"""));
            }

            string digest = request["metadata"]?[DigestKey]?.GetValue<string>() ?? string.Empty;
            CreatesByDigest[digest] = CreatesByDigest.GetValueOrDefault(digest) + 1;
            batch = new JsonObject
            {
                ["id"] = $"batch_{++_nextId}", ["object"] = "batch", ["endpoint"] = request["endpoint"]!.GetValue<string>(),
                ["input_file_id"] = inputFile, ["completion_window"] = request["completion_window"]!.GetValue<string>(),
                ["status"] = "validating", ["output_file_id"] = null, ["error_file_id"] = null, ["errors"] = null,
                ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["metadata"] = request["metadata"]?.DeepClone(),
                ["request_counts"] = new JsonObject { ["total"] = 0, ["completed"] = 0, ["failed"] = 0 },
                ["fate"] = (_fates.TryDequeue(out BatchFate fate) ? fate : BatchFate.Complete).ToString(),
            };
            _batches.Add(batch);
        }

        OnCreate?.Invoke();
        return (200, Encoding.UTF8.GetBytes(Public(batch).ToJsonString()));
    }

    private (int, byte[]) Retrieve(string batchId)
    {
        lock (_gate)
        {
            JsonObject? batch = _batches.FirstOrDefault(b => b["id"]!.GetValue<string>() == batchId);
            if (batch is null)
            {
                return (404, Encoding.UTF8.GetBytes("""{"error":{"message":"no such batch","type":"invalid_request_error"}}"""));
            }

            switch (batch["status"]!.GetValue<string>())
            {
                case "validating":
                    batch["status"] = "in_progress";
                    break;
                case "in_progress":
                    Finish(batch);
                    break;
            }

            return (200, Encoding.UTF8.GetBytes(Public(batch).ToJsonString()));
        }
    }

    private (int, byte[]) List(string? after, string? limitText)
    {
        lock (_gate)
        {
            int limit = int.TryParse(limitText, out int l) ? l : 20;
            List<JsonObject> newestFirst = Enumerable.Reverse(_batches).ToList();
            int start = after is null ? 0 : newestFirst.FindIndex(b => b["id"]!.GetValue<string>() == after) + 1;
            List<JsonObject> page = newestFirst.Skip(start).Take(limit).ToList();
            var list = new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(page.Select(b => (JsonNode)Public(b)).ToArray()),
                ["first_id"] = page.FirstOrDefault()?["id"]?.GetValue<string>(),
                ["last_id"] = page.LastOrDefault()?["id"]?.GetValue<string>(),
                ["has_more"] = start + page.Count < newestFirst.Count,
            };
            return (200, Encoding.UTF8.GetBytes(list.ToJsonString()));
        }
    }

    private void Finish(JsonObject batch)
    {
        var fate = Enum.Parse<BatchFate>(batch["fate"]!.GetValue<string>());
        string[] lines = Encoding.UTF8.GetString(_files[batch["input_file_id"]!.GetValue<string>()].Content).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (fate == BatchFate.Fail)
        {
            batch["status"] = "failed";
            batch["errors"] = new JsonObject { ["object"] = "list", ["data"] = new JsonArray(new JsonObject { ["code"] = "invalid_request", ["message"] = "injected batch failure" }) };
            return;
        }

        int answered = fate == BatchFate.ExpireHalf ? lines.Length / 2 : lines.Length;
        var output = new StringBuilder();
        var errors = new StringBuilder();
        for (int index = 0; index < lines.Length; index++)
        {
            JsonNode line = JsonNode.Parse(lines[index])!;
            string customId = line["custom_id"]!.GetValue<string>();
            if (index >= answered)
            {
                errors.Append(new JsonObject
                {
                    ["id"] = $"batch_req_{index}", ["custom_id"] = customId, ["response"] = null,
                    ["error"] = new JsonObject { ["code"] = "batch_expired", ["message"] = "This request could not be executed before the completion window expired." },
                }.ToJsonString()).Append('\n');
                continue;
            }

            if (_lineErrors.TryGetValue(customId, out int times) && times > 0)
            {
                _lineErrors[customId] = times - 1;
                errors.Append(new JsonObject
                {
                    ["id"] = $"batch_req_{index}", ["custom_id"] = customId,
                    ["response"] = new JsonObject { ["status_code"] = 500, ["request_id"] = "req", ["body"] = new JsonObject { ["error"] = new JsonObject { ["message"] = "injected line error", ["type"] = "server_error" } } },
                    ["error"] = null,
                }.ToJsonString()).Append('\n');
                continue;
            }

            BatchAnswers[customId] = BatchAnswers.GetValueOrDefault(customId) + 1;
            output.Append(new JsonObject
            {
                ["id"] = $"batch_req_{index}", ["custom_id"] = customId,
                ["response"] = new JsonObject { ["status_code"] = 200, ["request_id"] = "req", ["body"] = Completion(line["body"]!) },
                ["error"] = null,
            }.ToJsonString()).Append('\n');
        }

        batch["status"] = fate == BatchFate.ExpireHalf ? "expired" : "completed";
        batch["output_file_id"] = StoreOutput(output);
        batch["error_file_id"] = StoreOutput(errors);
    }

    private string? StoreOutput(StringBuilder content)
    {
        if (content.Length == 0)
        {
            return null;
        }

        string id = $"file-{++_nextId}";
        _files[id] = ("output.jsonl", Encoding.UTF8.GetBytes(content.ToString()));
        return id;
    }

    private static JsonObject Public(JsonObject batch)
    {
        var copy = (JsonObject)batch.DeepClone();
        copy.Remove("fate");
        return copy;
    }
}
