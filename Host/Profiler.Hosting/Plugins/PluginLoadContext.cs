using System.Reflection;
using System.Runtime.Loader;

namespace Profiler.Hosting.Plugins;

/// <summary>
/// One plugin's load context. An assembly the host has — loaded already, or in its trusted platform assemblies (the
/// framework, the driver contract, the domain, the logging abstractions) — comes from the host, so that the plugin and
/// the host share its types; a version newer than the host's, or an assembly the host lacks, comes from the plugin's
/// folder as the plugin's <c>.deps.json</c> lists it (the runtime's <see cref="AssemblyDependencyResolver"/>, which
/// also finds native libraries, e.g. SQLite's). Not collectible: a plugin stays loaded for the process's life.
/// </summary>
/// <remarks>
/// This replaces McMaster.NETCore.Plugins, whose set-up read the plugin's runtime configuration with reflection-based
/// JSON deserialisation: tens of methods JIT-compiled and dynamic code emitted on every start, a large part of a short
/// command's start-up.
/// </remarks>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver _resolver;
    private readonly HashSet<string> _shared;

    /// <param name="mainAssemblyPath">The plugin's assembly (full path).</param>
    /// <param name="sharedTypes">Types whose assemblies always come from the host.</param>
    public PluginLoadContext(string mainAssemblyPath, IEnumerable<Type> sharedTypes)
        : base("plugin " + Path.GetFileNameWithoutExtension(mainAssemblyPath), isCollectible: false)
    {
        _resolver = new AssemblyDependencyResolver(mainAssemblyPath);
        _shared = sharedTypes.Select(t => t.Assembly.GetName().Name!).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var name = assemblyName.Name;
        if (name is not null && (_shared.Contains(name) || HostHas(name)))
        {
            try
            {
                return Default.LoadFromAssemblyName(assemblyName);
            }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException)
            {
                // The host's copy is older than the plugin asks for: the plugin's own copy below.
            }
        }
        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    private static bool HostHas(string name) =>
        PluginDependencies.IsHostAssembly(name) || Default.Assemblies.Any(a => string.Equals(a.GetName().Name, name, StringComparison.OrdinalIgnoreCase));
}
