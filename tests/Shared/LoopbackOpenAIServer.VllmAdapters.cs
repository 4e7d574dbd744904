using System.Net;
using System.Text;
using System.Text.Json;

namespace Srt.Testing;

/// <summary>vLLM's runtime LoRA routes on the loopback server: load, unload and list adapters, and refuse requests for an adapter not loaded.</summary>
internal sealed partial class LoopbackOpenAIServer
{
    private readonly Dictionary<string, string> _adapters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _adapterPolicies = new(StringComparer.Ordinal);

    /// <summary>Gets the adapter calls (<c>/v1/load_lora_adapter</c>, <c>/v1/unload_lora_adapter</c>, <c>/v1/models</c>) with their status.</summary>
    public List<(string Route, string Body, int Status)> AdapterCalls { get; } = [];

    /// <summary>Gets or sets a value indicating whether the runtime LoRA routes exist (vLLM with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True).</summary>
    public bool LoraRoutesEnabled { get; set; } = true;

    private bool IsUnloadedAdapter(string model)
    {
        lock (_gate)
        {
            return _adapterPolicies.Contains(model) && !_adapters.ContainsKey(model);
        }
    }

    // vLLM's runtime LoRA routes: 400 "has already been loaded" for a loaded name, /v1/models lists adapters with their path as root.
    private void AnswerAdapterRoute(HttpListenerContext context, string body)
    {
        string route = context.Request.Url!.AbsolutePath;
        int status;
        string answer;
        lock (_gate)
        {
            if (!LoraRoutesEnabled && route != "/v1/models")
            {
                (status, answer) = (404, """{"detail":"Not Found"}""");
            }
            else if (route == "/v1/models")
            {
                var data = _adapters.Select(adapter => new { id = adapter.Key, @object = "model", root = adapter.Value });
                (status, answer) = (200, JsonSerializer.Serialize(new { @object = "list", data }));
            }
            else
            {
                using var request = JsonDocument.Parse(body);
                string name = request.RootElement.GetProperty("lora_name").GetString()!;
                if (route == "/v1/unload_lora_adapter")
                {
                    (status, answer) = _adapters.Remove(name)
                        ? (200, $"Success: LoRA adapter '{name}' removed successfully.")
                        : (404, ErrorJson($"The lora adapter '{name}' cannot be found.", "NotFoundError", 404));
                }
                else if (_adapters.ContainsKey(name))
                {
                    (status, answer) = (400, ErrorJson($"The lora adapter '{name}' has already been loaded. If you want to load the adapter in place, set 'load_inplace' to True.", "InvalidUserInput", 400));
                }
                else
                {
                    _adapters[name] = request.RootElement.GetProperty("lora_path").GetString()!;
                    (status, answer) = (200, $"Success: LoRA adapter '{name}' added successfully.");
                }
            }

            AdapterCalls.Add((route, body, status));
        }

        byte[] bytes = Encoding.UTF8.GetBytes(answer);
        context.Response.StatusCode = status;
        context.Response.ContentType = answer.StartsWith('{') ? "application/json" : "text/plain";
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
    }
}
