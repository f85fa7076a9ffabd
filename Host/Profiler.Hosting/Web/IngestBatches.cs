using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using MediatR;
using Profiler.Application.Common;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary>
/// Batch ids for input that is stored in several writes (the ingest API, the OTLP receiver, <c>profiler trace import</c>):
/// input larger than <see cref="RecordTracePointsCommand.MaxBatchSize"/> points is written in chunks, chunk <c>i</c>
/// under <see cref="ChunkId"/>(batch id, i). The batch id is the client's (<c>X-Profiler-Batch-Id</c>) or, without one,
/// <see cref="ContentId"/> of the input's bytes: sending the same content again (a retry after a lost answer or a 503,
/// re-running an import that failed half-way) stores only what is not stored yet, exactly once. Identical content sent
/// again within the store's batch id retention (24 h for every built-in driver, docs/driver-contract.md) is stored once;
/// later, it is stored again.
/// </summary>
public static class IngestBatches
{
    /// <summary>The batch id of content without a client batch id: the first 16 bytes of its SHA-256.</summary>
    /// <param name="content">The input as received (decompressed), or a request message serialized.</param>
    public static Guid ContentId(ReadOnlySpan<byte> content)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(content, hash);
        return FromHash(hash);
    }

    /// <summary>The batch id made from a SHA-256 (or any hash of at least 16 bytes) of the content: its first 16 bytes.</summary>
    /// <param name="hash">The content's hash.</param>
    public static Guid FromHash(ReadOnlySpan<byte> hash) => new(hash[..16]);

    /// <summary>The batch id of chunk <paramref name="index"/> of a batch with id <paramref name="batchId"/>: the id itself for the first.</summary>
    /// <param name="batchId">The whole input's batch id.</param>
    /// <param name="index">The chunk's position, from 0.</param>
    public static Guid ChunkId(Guid batchId, int index)
    {
        if (index == 0) return batchId;
        Span<byte> input = stackalloc byte[20];
        batchId.TryWriteBytes(input);
        BinaryPrimitives.WriteInt32LittleEndian(input[16..], index);
        return new Guid(SHA256.HashData(input)[..16]);
    }

    /// <summary>
    /// Stores checked points in chunks under ids derived from <paramref name="batchId"/>; the number stored. A store
    /// failure after the first chunk is a <see cref="TraceStoreException"/> that also says how much was stored and that
    /// the same input sent again stores only the rest; an exception that is a point's fault (the store cannot write it)
    /// is an <see cref="UnstorablePointException"/> naming the point. Points the store refuses for good do not stop the
    /// later chunks: when every chunk was sent, a <see cref="TracePointsRefusedException"/> names them all (positions in
    /// <paramref name="points"/>) and says how many were stored.
    /// </summary>
    /// <param name="mediator">Runs the <c>RecordTracePoints</c> use case.</param>
    /// <param name="points">The checked points, in input order.</param>
    /// <param name="batchId">The whole input's batch id.</param>
    /// <param name="sendAgain">What the client does to finish after a failure, e.g. "send the same request again".</param>
    /// <param name="ct">Cancels the writes.</param>
    /// <param name="noun">How a failure's message names the points: "point(s)", or "points".</param>
    /// <param name="verb">What a failure's message says became of them: "stored", or "imported".</param>
    public static async Task<int> StoreAsync(IMediator mediator, IReadOnlyList<TracePoint> points, Guid batchId, string sendAgain, CancellationToken ct,
        string noun = "point(s)", string verb = "stored")
    {
        var stored = 0;
        var index = 0;
        List<int>? refused = null;
        List<string>? reasons = null;
        var chunks = (points.Count + RecordTracePointsCommand.MaxBatchSize - 1) / RecordTracePointsCommand.MaxBatchSize;
        foreach (var chunk in points.Chunk(RecordTracePointsCommand.MaxBatchSize))
        {
            try
            {
                stored += await mediator.Send(new RecordTracePointsCommand(chunk, ChunkId(batchId, index)), ct);
            }
            catch (TracePointsRefusedException e)
            {
                // The store kept the rest of the chunk and would refuse these again: go on with the next chunk.
                var offset = index * RecordTracePointsCommand.MaxBatchSize;
                var inChunk = e.Refused.Where(i => i >= 0 && i < chunk.Length).Distinct().ToList();
                (refused ??= []).AddRange(inChunk.Select(i => offset + i));
                (reasons ??= []).Add(Sentence(e.Message));
                stored += chunk.Length - inChunk.Count;
            }
            catch (TraceStoreException e) when (index > 0)
            {
                throw new TraceStoreException(
                    $"{Sentence(e.Message)} {stored} of the {points.Count} {noun} ({index} of {chunks} chunks of up to {RecordTracePointsCommand.MaxBatchSize}) " +
                    $"were {verb} before the failure; {sendAgain}: the chunks already stored are not stored twice.", e);
            }
            catch (Exception e) when (e is not (OperationCanceledException or TraceStoreException or ValidationException or CapabilityNotSupportedException)
                                      && Unwritable(chunk) is { } bad)
            {
                throw new UnstorablePointException(index * RecordTracePointsCommand.MaxBatchSize + bad.Offset, bad.Message, stored, points.Count, e);
            }
            index++;
        }
        if (refused is not null)
            throw new TracePointsRefusedException(
                $"The store refused {refused.Count} of the {points.Count} {noun} for good (sending them again would not help); the other {stored} were {verb}. " +
                string.Join(" ", reasons!.Distinct(StringComparer.Ordinal).Take(3)), refused);
        return stored;
    }

    /// <summary>The text ending with a full stop, so that another sentence can follow it.</summary>
    internal static string Sentence(string text)
    {
        text = text.TrimEnd();
        return text.EndsWith('.') ? text : text + ".";
    }

    /// <summary>The first point of a chunk that cannot even be written as JSON (the input's fault), and why; null when every point can.</summary>
    /// <param name="chunk">The points written, or about to be.</param>
    public static (int Offset, string Message)? Unwritable(TracePoint[] chunk)
    {
        using var writer = new Utf8JsonWriter(Stream.Null);
        for (var i = 0; i < chunk.Length; i++)
            if (TracePointJson.WriteFailure(writer, chunk[i]) is { } e)
                return (i, $"the point cannot be stored: {e.Message.TrimEnd('.')}");
        return null;
    }
}

/// <summary>A point the store could not write through the point's own fault (not the store's): answered as bad input, naming the point.</summary>
public sealed class UnstorablePointException(int index, string reason, int stored, int count, Exception inner)
    : Exception($"point {index}: {reason}", inner)
{
    /// <summary>The point's position in the input, from 0.</summary>
    public int Index { get; } = index;

    /// <summary>Why it cannot be stored.</summary>
    public string Reason { get; } = reason;

    /// <summary>Points of the input stored before it (whole earlier chunks).</summary>
    public int Stored { get; } = stored;

    /// <summary>Points in the input.</summary>
    public int Count { get; } = count;

    /// <summary>What the answer says about what was stored.</summary>
    public string StoredText => Stored == 0 ? $"nothing of the {Count} point(s) was stored" : $"{Stored} of the {Count} point(s) (earlier chunks) were stored, the rest not";
}
