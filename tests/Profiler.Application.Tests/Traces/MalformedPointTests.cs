using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Application.Common;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Application.Tests.Traces;

public sealed class MalformedPointTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Twelve_hundred_malformed_points_are_each_rejected_with_a_message_and_none_is_stored()
    {
        var store = new InMemoryTraceStore();
        var services = new ServiceCollection().AddSingleton<ITraceStore>(store).AddApplicationServices().BuildServiceProvider();
        var mediator = services.GetRequiredService<IMediator>();
        int parseErrors = 0, validationErrors = 0, crashes = 0, accepted = 0;
        foreach (var bytes in MalformedInput.BadPoints(1200))
        {
            try
            {
                var point = TracePointJson.Parse(bytes);
                await mediator.Send(new RecordTracePointsCommand([point]));
                accepted++;
                output.WriteLine("accepted: " + System.Text.Encoding.UTF8.GetString(bytes));
            }
            catch (FormatException e)
            {
                parseErrors++;
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
            }
            catch (ValidationException e)
            {
                validationErrors++;
                Assert.NotEmpty(e.Errors);
                Assert.All(e.Errors, error => Assert.StartsWith("Points[0].", error.Property));
            }
            catch (Exception e)
            {
                crashes++;
                output.WriteLine($"crash: {e.GetType().Name}: {e.Message}");
            }
        }
        output.WriteLine($"points: 1200 cases tried, {parseErrors} not parsable, {validationErrors} invalid, {accepted} accepted, {crashes} crashes, {store.Batches.Count} batches stored");
        Assert.Equal(0, crashes);
        Assert.Equal(0, accepted);
        Assert.Empty(store.Batches);
    }
}
