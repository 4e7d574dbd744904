using System.Collections;

namespace Srt.Testing;

/// <summary>
/// The calls a test double received, in the order they arrived. Safe to read while calls are still being recorded
/// on other threads: enumeration walks a snapshot taken when it starts.
/// </summary>
/// <typeparam name="T">The type of the recorded call.</typeparam>
public sealed class RecordedCalls<T> : IReadOnlyList<T>
{
    private readonly List<T> _items = [];
    private readonly Lock _lock = new();

    /// <summary>Gets the number of calls recorded so far.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Gets the call recorded at the given position, counting from the first call.</summary>
    /// <param name="index">The position, starting at 0.</param>
    /// <returns>The recorded call.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not the position of a recorded call.</exception>
    public T this[int index]
    {
        get
        {
            lock (_lock)
            {
                return _items[index];
            }
        }
    }

    /// <summary>Forgets every recorded call, so that a test can count the calls of its next step alone.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _items.Clear();
        }
    }

    /// <summary>Copies the calls recorded so far.</summary>
    /// <returns>The calls, in arrival order.</returns>
    public T[] ToArray()
    {
        lock (_lock)
        {
            return [.. _items];
        }
    }

    /// <summary>Returns an enumerator over the calls recorded when enumeration starts, in arrival order.</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)ToArray()).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Add(T item)
    {
        lock (_lock)
        {
            _items.Add(item);
        }
    }
}
