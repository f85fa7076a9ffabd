namespace Profiler.Cli.Commands.Bench;

/// <summary>A one-line progress bar on stderr, redrawn when the percentage changes; safe to report from several writers.</summary>
internal sealed class ProgressBar(long total) : IDisposable
{
    private const int Width = 40;
    private long _last = -1;

    public void Report(long done)
    {
        var percent = total == 0 ? 100 : done * 100 / total;
        if (Interlocked.Exchange(ref _last, percent) == percent) return;
        var filled = (int)(percent * Width / 100);
        Console.Error.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {percent,3}%");
    }

    public void Dispose() => Console.Error.WriteLine();
}
