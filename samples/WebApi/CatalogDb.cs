using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;

namespace WebApi;

/// <summary>A server in the sample's catalog.</summary>
public sealed class Server
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public required string Status { get; set; }
}

/// <summary>The sample's database.</summary>
public sealed class CatalogDb(DbContextOptions<CatalogDb> options) : DbContext(options)
{
    public DbSet<Server> Servers => Set<Server>();
}

/// <summary>The address the app listens on, for calls to itself.</summary>
internal static class SelfAddress
{
    /// <summary>The first listening address; a wildcard host (<c>+</c>, <c>*</c>, <c>0.0.0.0</c>, <c>[::]</c>) becomes localhost.</summary>
    public static Uri Of(IServiceProvider services)
    {
        var addresses = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("the app listens on no address yet");
        var uri = new UriBuilder(first.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::") uri.Host = "localhost";
        return uri.Uri;
    }
}
