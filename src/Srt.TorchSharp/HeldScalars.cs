using TorchSharp;

namespace Srt.TorchSharp;

/// <summary>
/// Scalars that stay reachable while libtorch reads them. TorchSharp frees a <see cref="Scalar"/> in its finalizer, and
/// an implicitly converted one (<c>x * 0.5</c>, <c>a + b</c>'s alpha of 1) is unreachable as soon as its handle is
/// passed to native code: a garbage collection on another thread during that call can free it mid-use.
/// <see cref="Of(double)"/> keeps the last scalars each thread made in a ring, so each lives until that thread has made
/// many more, long after the call that read it returned.
/// </summary>
internal static class HeldScalars
{
    // Scalars each thread keeps: a call made with one has returned long before its thread makes this many more.
    private const int Ring = 256;

    [ThreadStatic]
    private static Scalar[]? _ring;

    [ThreadStatic]
    private static int _next;

    /// <summary>Gets the scalar 1, held for the life of the process (the alpha of additions).</summary>
    public static Scalar One { get; } = 1.ToScalar();

    /// <summary>A floating-point scalar (libtorch's double), held until this thread has made many more.</summary>
    public static Scalar Of(double value) => Keep(value.ToScalar());

    /// <summary>An integer scalar (libtorch's int64), held until this thread has made many more.</summary>
    public static Scalar Of(long value) => Keep(value.ToScalar());

    private static Scalar Keep(Scalar scalar)
    {
        var ring = _ring ??= new Scalar[Ring];
        ring[_next] = scalar;
        _next = (_next + 1) % Ring;
        return scalar;
    }
}
