using System.Text.Json;

namespace Srt.Tests.Resilience;

public sealed class FailureClassificationTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void IsTransient_JsonExceptionWrappedByTheSdk_IsRetried()
    {
        var failure = new InvalidOperationException("Could not parse the response.", new JsonException("'0x00' is invalid after a value. LineNumber: 0 | BytePositionInLine: 120."));

        Assert.True(TransientFailure.IsTransient(failure, CancellationToken.None, Now, out _, out _));
    }

    [Theory]
    [InlineData(503, "false", false)]
    [InlineData(400, "true", true)]
    [InlineData(503, "maybe", true)]
    public void IsTransient_XShouldRetryHeader_OverridesTheStatus(int status, string header, bool expected)
    {
        var failure = FakePipelineResponse.Error(status, ("x-should-retry", header));

        Assert.Equal(expected, TransientFailure.IsTransient(failure, CancellationToken.None, Now, out int? seen, out _));
        Assert.Equal(status, seen);
    }

    [Theory]
    [InlineData(401, "the API key setting")]
    [InlineData(403, "the API key, organization and project settings")]
    [InlineData(404, "the model name and the endpoint settings")]
    [InlineData(422, "the model name and the request options (temperature, token limit)")]
    public void TryClassify_StatusNoRetryFixes_NamesCauseAndSetting(int status, string setting)
    {
        Assert.True(UnrecoverableFailure.TryClassify(FakePipelineResponse.Error(status), out int? seen, out string? cause, out string? named));

        Assert.Equal(status, seen);
        Assert.Contains($"HTTP {status}", cause, StringComparison.Ordinal);
        Assert.Equal(setting, named);
        Assert.True(UnrecoverableFailure.IsUnrecoverable(FakePipelineResponse.Error(status), out string? combined));
        Assert.Equal($"{cause}: check {setting}", combined);
    }

    [Theory]
    [InlineData(400, "This model's maximum context length is 8192 tokens.")]
    [InlineData(400, "The response was filtered due to the prompt triggering content_filter.")]
    [InlineData(400, "Invalid prompt: your prompt was flagged (invalid_prompt).")]
    [InlineData(429, "Rate limit reached.")]
    [InlineData(500, "Server error.")]
    public void IsUnrecoverable_ItemOwnOrTransientFailure_DoesNotStopTheRun(int status, string message)
    {
        var failure = new System.ClientModel.ClientResultException(message, new FakePipelineResponse(status));

        Assert.False(UnrecoverableFailure.IsUnrecoverable(failure, out string? cause));
        Assert.Null(cause);
    }

    [Fact]
    public void ToStop_Wrapped401_KeepsInnerExceptionAndNamesPhaseCauseAndSetting()
    {
        var inner = FakePipelineResponse.Error(401);

        UnrecoverableCallException stop = UnrecoverableFailure.ToStop(new InvalidOperationException("wrapped", inner), "critique")!;

        Assert.Equal("critique", stop.Phase);
        Assert.Equal(401, stop.StatusCode);
        Assert.Equal("the API key setting", stop.Setting);
        Assert.Same(inner, stop.InnerException!.InnerException);
        Assert.Contains("first critique call", stop.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 401", stop.Message, StringComparison.Ordinal);
        Assert.Contains("API key", stop.Message, StringComparison.Ordinal);
        Assert.Same(stop, UnrecoverableFailure.ToStop(stop, "judging"));
        Assert.True(UnrecoverableFailure.IsUnrecoverable(stop, out _));
        Assert.Null(UnrecoverableFailure.ToStop(FakePipelineResponse.Error(500), "critique"));
    }
}
