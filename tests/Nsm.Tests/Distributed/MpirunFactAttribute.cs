namespace Nsm.Tests.Distributed;

/// <summary>
/// A fact that runs only where Open MPI's mpirun is on the PATH (.ci/run installs Debian's
/// openmpi-bin when it is missing); elsewhere it is skipped with a message saying what to
/// install, so a fresh clone's <c>dotnet test</c> passes without it.
/// </summary>
public sealed class MpirunFactAttribute : FactAttribute
{
    public MpirunFactAttribute()
    {
        if (!MpirunOnPath.Available) Skip = MpirunOnPath.SkipReason;
    }
}

/// <summary>The theory form of <see cref="MpirunFactAttribute"/>.</summary>
public sealed class MpirunTheoryAttribute : TheoryAttribute
{
    public MpirunTheoryAttribute()
    {
        if (!MpirunOnPath.Available) Skip = MpirunOnPath.SkipReason;
    }
}

/// <summary>Whether an mpirun executable is on the PATH, looked up once per test run.</summary>
public static class MpirunOnPath
{
    public const string SkipReason = "needs Open MPI's mpirun on the PATH (Debian: apt-get install -y openmpi-bin; .ci/run installs it)";

    private static readonly Lazy<bool> Found = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "mpirun"))));

    public static bool Available => Found.Value;
}
