using System.ClientModel;
using System.ClientModel.Primitives;

namespace Srt.Tests.Resilience;

/// <summary>An HTTP response as the OpenAI SDK reports it inside a <see cref="ClientResultException"/>.</summary>
internal sealed class FakePipelineResponse(int status, params (string Name, string Value)[] headers) : PipelineResponse
{
    public override int Status => status;

    public override string ReasonPhrase => "test";

    public override Stream? ContentStream { get; set; }

    public override BinaryData Content => BinaryData.FromString("{}");

    protected override PipelineResponseHeaders HeadersCore => new FakeHeaders(headers);

    public static ClientResultException Error(int status, params (string Name, string Value)[] headers) =>
        new("HTTP " + status, new FakePipelineResponse(status, headers));

    public override BinaryData BufferContent(CancellationToken cancellationToken = default) => Content;

    public override ValueTask<BinaryData> BufferContentAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Content);

    public override void Dispose()
    {
    }

    private sealed class FakeHeaders((string Name, string Value)[] headers) : PipelineResponseHeaders
    {
        public override bool TryGetValue(string name, out string? value)
        {
            value = headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
            return value is not null;
        }

        public override bool TryGetValues(string name, out IEnumerable<string>? values)
        {
            bool found = TryGetValue(name, out var value);
            values = found ? [value!] : null;
            return found;
        }

        public override IEnumerator<KeyValuePair<string, string>> GetEnumerator() =>
            headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value)).GetEnumerator();
    }
}
