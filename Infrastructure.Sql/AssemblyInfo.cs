// The assembly's only native calls are SqliteNative's blittable ones: without runtime marshalling, ReadyToRun
// precompiles them instead of leaving a marshalling stub per signature to compile at run time.
[assembly: System.Runtime.CompilerServices.DisableRuntimeMarshalling]
