using System.Runtime.InteropServices;

namespace Profiler.Cli;

/// <summary>
/// The process's standard output as a plain byte stream, for commands that print their results (tables, JSON,
/// reports). On Unix it writes to file descriptor 1 with <c>write(2)</c>; on Windows it is
/// <see cref="Console.OpenStandardOutput()"/>.
/// </summary>
/// <remarks>
/// <para>Console's own stream initialises the console on its first write (<see cref="Console.Out"/>, the terminal's
/// terminfo entry, signal handling): about a fifth of a short command's start-up on Linux, for output that is bytes
/// already. A <see cref="FileStream"/> over descriptor 1 would avoid that too, but writes a seekable file (output
/// redirected with <c>&gt;</c>) at its own position without moving the descriptor's, so a later writer to the same file
/// (<c>(profiler trace list; echo done) &gt; out.txt</c>) would overwrite it; <c>write(2)</c> moves it, as every Unix tool does.</para>
/// <para>As Console's stream, a reader that went away (<c>profiler trace list | head -1</c>: EPIPE) ends the output
/// quietly; the rest of what is written is dropped.</para>
/// </remarks>
internal static partial class StandardOutput
{
    /// <summary>A stream over the standard output; disposing it leaves the descriptor open.</summary>
    public static Stream Open() => OperatingSystem.IsWindows() ? Console.OpenStandardOutput() : new UnixStream();

    private sealed partial class UnixStream : Stream
    {
        private const int Fd = 1;
        private const int EINTR = 4;
        private const int EPIPE = 32;
        private static readonly int EAGAIN = OperatingSystem.IsLinux() ? 11 : 35;

        /// <summary>Set once the reader went away (EPIPE): the rest is dropped.</summary>
        private bool _closedByReader;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override unsafe void Write(ReadOnlySpan<byte> buffer)
        {
            fixed (byte* start = buffer)
            {
                var p = start;
                var left = buffer.Length;
                while (left > 0 && !_closedByReader)
                {
                    var written = (int)WriteNative(Fd, p, left);
                    if (written >= 0)
                    {
                        p += written;
                        left -= written;
                        continue;
                    }
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR) continue;
                    if (errno == EPIPE) _closedByReader = true;
                    else if (errno == EAGAIN) Thread.Sleep(1); // a non-blocking descriptor that is full: wait for the reader
                    else throw new IOException($"Could not write to standard output: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
                }
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void WriteByte(byte value) => Write([value]);

        [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
        private static unsafe partial nint WriteNative(int fd, byte* buffer, nint count);
    }
}
