using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Benchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Profiler.Benchmarks.BenchData).Assembly).Run(args);
