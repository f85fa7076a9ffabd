using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Profiler.Testing;

/// <summary>
/// A TCP proxy on a free loopback port that forwards every connection to a real server (redis-server, mariadbd,
/// postgres) and can be told to misbehave:
/// <list type="bullet">
/// <item><see cref="CutAfterReplyTo"/>: the next time a client sends bytes holding a marker (e.g. <c>EVALSHA</c>,
/// <c>COMMIT</c>), the server's reply to it is dropped, after the server has applied the request, and the connection
/// is cut both ways: the client saw its write fail although it was stored.</item>
/// <item><see cref="ReplyDelay"/>: every reply from the server is held back this long before the client gets it.</item>
/// <item><see cref="DelayRepliesTo"/>: the reply to every request holding a marker (e.g. <c>LRANGE</c>) is held back,
/// other replies (a handshake, say) pass at once.</item>
/// </list>
/// Plain TCP only: a client must not negotiate TLS through it (the markers would be encrypted).
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly Lock _gate = new();
    private readonly List<(TcpClient Client, TcpClient Server)> _connections = [];
    private byte[]? _marker;
    private byte[]? _replyMarker;
    private TaskCompletionSource<int>? _cut;
    private long _replyDelayTicks;
    private byte[]? _delayMarker;
    private TimeSpan _markedDelay;
    private int _cuts;

    /// <param name="upstreamPort">The real server's port on 127.0.0.1.</param>
    public FaultProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The proxy's port on 127.0.0.1: point clients here.</summary>
    public int Port { get; }

    /// <summary>Connections cut so far by <see cref="CutAfterReplyTo"/>.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>Connections accepted so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>How long each reply from the server is held back. Default none.</summary>
    public TimeSpan ReplyDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _replyDelayTicks));
        set => Interlocked.Exchange(ref _replyDelayTicks, value.Ticks);
    }

    /// <summary>
    /// Arms a one-shot fault: the next client request holding <paramref name="marker"/> (ASCII, compared without case)
    /// reaches the server, and the server's reply to it is dropped and the connection cut. The task completes, with the
    /// number of reply bytes dropped, once that happened.
    /// </summary>
    /// <param name="marker">What the request holds, e.g. <c>COMMIT</c>.</param>
    /// <param name="replyMarker">
    /// When the request's own reply comes after replies to earlier parts of it (a Redis <c>MULTI</c> … <c>EXEC</c>,
    /// whose <c>+QUEUED</c> lines come first): reply bytes pass until a read holding this (ASCII, exact) arrives, and that
    /// read is the one dropped. Default null: the first reply bytes after the request are dropped.
    /// </param>
    public Task<int> CutAfterReplyTo(string marker, string? replyMarker = null)
    {
        var cut = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _marker = Encoding.ASCII.GetBytes(marker.ToUpperInvariant());
            _replyMarker = replyMarker is null ? null : Encoding.ASCII.GetBytes(replyMarker);
            _cut = cut;
        }
        return cut.Task;
    }

    /// <summary>From now on, holds back the reply to every request holding <paramref name="marker"/> (ASCII, without case) by <paramref name="delay"/>.</summary>
    public void DelayRepliesTo(string marker, TimeSpan delay)
    {
        lock (_gate)
        {
            _delayMarker = Encoding.ASCII.GetBytes(marker.ToUpperInvariant());
            _markedDelay = delay;
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            Accepted++;
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var server = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _upstreamPort, _stop.Token);
        }
        catch (Exception)
        {
            client.Dispose();
            server.Dispose();
            return;
        }
        lock (_gate) _connections.Add((client, server));
        // Set by the client-to-server pump when it forwarded a request holding the armed marker.
        var pending = new Connection();
        var up = PumpUpAsync(client.GetStream(), server.GetStream(), pending);
        var down = PumpDownAsync(server.GetStream(), client.GetStream(), pending, client, server);
        await Task.WhenAny(up, down);
        client.Dispose();
        server.Dispose();
        lock (_gate) _connections.Remove((client, server));
    }

    private sealed class Connection
    {
        public volatile TaskCompletionSource<int>? Cut;
        /// <summary>With <see cref="Cut"/>: the reply read to drop holds this (null: the first one).</summary>
        public byte[]? CutReply;
        /// <summary>Ticks to hold back the next reply (a request holding the delay marker was forwarded).</summary>
        public long DelayNextTicks;
    }

    private async Task PumpUpAsync(NetworkStream from, NetworkStream to, Connection connection)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0) return;
                lock (_gate)
                {
                    if (_marker is { } marker && Contains(buffer.AsSpan(0, read), marker))
                    {
                        connection.CutReply = _replyMarker;
                        connection.Cut = _cut;
                        _marker = null;
                        _cut = null;
                    }
                    if (_delayMarker is { } delayed && Contains(buffer.AsSpan(0, read), delayed))
                        Interlocked.Exchange(ref connection.DelayNextTicks, _markedDelay.Ticks);
                }
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task PumpDownAsync(NetworkStream from, NetworkStream to, Connection connection, TcpClient client, TcpClient server)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0) return;
                if (connection.Cut is { } cut && (connection.CutReply is not { } reply || buffer.AsSpan(0, read).IndexOf(reply) >= 0))
                {
                    // The server answered the marked request, so it applied it: the answer never arrives.
                    client.Client.LingerState = new LingerOption(true, 0);
                    client.Close();
                    server.Close();
                    Interlocked.Increment(ref _cuts);
                    cut.TrySetResult(read);
                    return;
                }
                if (ReplyDelay is { Ticks: > 0 } delay) await Task.Delay(delay, _stop.Token);
                if (Interlocked.Exchange(ref connection.DelayNextTicks, 0) is > 0 and var ticks)
                    await Task.Delay(TimeSpan.FromTicks(ticks), _stop.Token);
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>Whether <paramref name="data"/> holds <paramref name="upperMarker"/>, ASCII letters compared without case.</summary>
    private static bool Contains(ReadOnlySpan<byte> data, ReadOnlySpan<byte> upperMarker)
    {
        for (var i = 0; i + upperMarker.Length <= data.Length; i++)
        {
            var j = 0;
            while (j < upperMarker.Length)
            {
                var b = data[i + j];
                if (b is >= (byte)'a' and <= (byte)'z') b -= 32;
                if (b != upperMarker[j]) break;
                j++;
            }
            if (j == upperMarker.Length) return true;
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_gate)
        {
            foreach (var (client, server) in _connections)
            {
                client.Dispose();
                server.Dispose();
            }
            _connections.Clear();
        }
        try { await _accepting; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
