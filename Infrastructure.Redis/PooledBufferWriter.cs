using System.Buffers;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over one array rented from <see cref="ArrayPool{T}.Shared"/>, grown by renting a
/// larger one. A batch's documents (some 400 KB for 1,000 points) would otherwise be a new large-object-heap array per
/// write, and large-object garbage is only collected by full (gen 2) collections, which walk every live object.
/// </summary>
/// <remarks>
/// The array goes back to the pool only through <see cref="Return"/>, which the owner calls once nothing can read the
/// written bytes any more. A writer that is never returned is simply collected.
/// </remarks>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    private byte[] _array;
    private int _written;

    public PooledBufferWriter(int capacity) => _array = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));

    /// <summary>The bytes written so far; valid until <see cref="Return"/>.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _array.Length - _written)
            throw new InvalidOperationException($"cannot advance {count} bytes past the end of the buffer");
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsSpan(_written);
    }

    /// <summary>Gives the array back to the pool; the writer and every slice of <see cref="WrittenMemory"/> are dead after.</summary>
    public void Return()
    {
        var array = _array;
        _array = [];
        _written = 0;
        if (array.Length > 0) ArrayPool<byte>.Shared.Return(array);
    }

    private void Reserve(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(_array.Length == 0, this);
        sizeHint = Math.Max(sizeHint, 1);
        if (_array.Length - _written >= sizeHint) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(checked(_written + sizeHint), checked(_array.Length * 2)));
        _array.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_array);
        _array = bigger;
    }
}
