using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using Profiler.Domain;
using Profiler.Hosting.Web;
using Profiler.Storage;

namespace Profiler.Cli.Commands;

internal static class TraceImportCommand
{
    /// <summary>Most problems listed before giving up on a file.</summary>
    private const int MaxReported = 20;

    public static Command Create(CommonOptions common)
    {
        var file = new Argument<string>("points") { Description = "A JSON Lines file, one trace point (COMPAT §1) or one OTLP/JSON TracesData a line (told apart line by line); - for standard input" };
        var command = new Command("import", "Store trace points from a JSON Lines file. Every line is checked first: a file with a bad line stores nothing. " +
            "The same file imported again (within the store's 24 h batch id retention) stores only what is not stored yet")
        {
            file,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            var path = result.GetValue(file)!;
            var input = await ReadAsync(path, ct);
            var points = input.Points;
            if (input.Problems.Count > 0)
            {
                foreach (var p in input.Problems.Take(MaxReported)) Console.Error.WriteLine($"profiler: {p}");
                var more = input.Problems.Count > MaxReported ? $" (showing the first {MaxReported})" : "";
                throw new CliException($"{path}: {input.Problems.Count} bad line(s){more}; nothing was imported");
            }
            if (points.Count == 0) throw new CliException($"{path}: no trace points in the file; nothing was imported");

            await using var context = common.Context(result);
            // Every line passed. The points are stored in chunks the use case accepts, chunk i under a batch id derived
            // from the file's content and i: running the same import again (after a store failure half-way, or by
            // mistake) stores only the chunks not stored yet, within the store's batch id retention (24 h).
            try
            {
                await IngestBatches.StoreAsync(context.Mediator, points, input.BatchId, "run the same import again", ct, noun: "points", verb: "imported");
            }
            catch (TracePointsRefusedException e)
            {
                // Points the store will never take (the others were imported): name their lines; running again would not help.
                var lines = string.Join(", ", e.Refused.Take(10).Select(i => input.Lines[i]));
                throw new CliException($"{path}: {e.Message} Refused lines: {lines}{(e.Refused.Count > 10 ? ", …" : "")}", ExitCodes.Store);
            }
            catch (UnstorablePointException e)
            {
                // The store refused a point through the point's own fault: bad input, naming its line.
                var imported = e.Stored == 0 ? "nothing was imported" : $"{e.Stored} of the {e.Count} points (earlier chunks) were imported, the rest not";
                throw new CliException($"{path}:{input.Lines[e.Index]}: {e.Reason}; {imported}");
            }
            var traces = points.Select(p => p.BaseId).Distinct().Count();
            Console.WriteLine($"Imported {points.Count} points of {traces} trace(s) into {context.ShownConnectionString}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>What was read: the points, the line of each, the problems found, and the batch id (the hash of the bytes read).</summary>
    private sealed record Input(List<TracePoint> Points, List<int> Lines, List<string> Problems, Guid BatchId);

    private static async Task<Input> ReadAsync(string path, CancellationToken ct)
    {
        var points = new List<TracePoint>();
        var lines = new List<int>();
        var problems = new List<string>();
        using var hashing = new HashingStream(path == "-" ? Console.OpenStandardInput() : OpenFile(path));
        using (var reader = new StreamReader(hashing, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, leaveOpen: true))
        {
            var number = 0;
            while (true)
            {
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(ct);
                }
                catch (DecoderFallbackException)
                {
                    problems.Add($"{path}:{number + 1}: not valid UTF-8 text");
                    break;
                }
                if (line is null) break;
                number++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                if (!ReadOtlp(line, $"{path}:{number}", points, problems))
                {
                    TracePoint point;
                    try
                    {
                        point = TracePointJson.Parse(line);
                    }
                    catch (FormatException e)
                    {
                        problems.Add($"{path}:{number}: {e.Message}");
                        continue;
                    }
                    var lineNumber = number;
                    TracePointRules.Check(point, (_, message) => problems.Add($"{path}:{lineNumber}: {message}"));
                    // A lone UTF-16 surrogate (an escape such as "\ud83d" without its other half) reads into a string no store can write.
                    if (line.Contains("\\u", StringComparison.Ordinal) && PointText.FirstProblem(point) is { } text)
                        problems.Add($"{path}:{number}: {text.Message}");
                    points.Add(point);
                }
                while (lines.Count < points.Count) lines.Add(number);
            }
        }
        return new Input(points, lines, problems, IngestBatches.FromHash(hashing.Hash()));
    }
    /// <summary>
    /// When a line is an OTLP/JSON <c>TracesData</c> (an object with <c>resourceSpans</c> or <c>resource_spans</c>), its
    /// spans as points (docs/otlp.md), a malformed line or a span that cannot be stored being a problem, and true; false
    /// for any other line (read as a trace point). The line is parsed once for both.
    /// </summary>
    private static bool ReadOtlp(string line, string where, List<TracePoint> points, List<string> problems)
    {
        try
        {
            if (Profiler.Otlp.OtlpJson.ParseTracesDataLine(line) is not { } data) return false;
            var mapped = Profiler.Otlp.OtlpMapping.ToPoints(data.ResourceSpans, TracePointRules.FirstProblem);
            foreach (var r in mapped.Rejected) problems.Add($"{where}: span {r.Index} '{TracePointRules.Show(r.Name)}' ({r.SpanId}): {r.Message}");
            points.AddRange(mapped.Points);
        }
        catch (FormatException e)
        {
            problems.Add($"{where}: {e.Message}");
        }
        return true;
    }

    /// <summary>Reads through to another stream and hashes (SHA-256) every byte read: the import's batch id is the hash of the file as read.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public byte[] Hash() => _hash.GetHashAndReset();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            _hash.AppendData(buffer[..read]);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            _hash.AppendData(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                _hash.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    private static FileStream OpenFile(string path)
    {
        if (Directory.Exists(path)) throw new CliException($"{path} is a folder; give a JSON Lines file");
        if (!File.Exists(path)) throw new CliException($"{path}: no such file");
        return File.OpenRead(path);
    }
}
