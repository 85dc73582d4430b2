namespace Nsm.Cli;

/// <summary>The command line itself is wrong (unknown flag, missing value); exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
