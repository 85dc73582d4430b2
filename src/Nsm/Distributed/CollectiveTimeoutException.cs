namespace Nsm.Distributed;

/// <summary>
/// A collective did not complete by its deadline (<c>train.collective_timeout_s</c>): another
/// rank died, hangs, or is far slower. The message names the ranks that never reached it when
/// rank 0 knows them. Its buffers stay pinned, since MPI may still write them until the job ends.
/// </summary>
public sealed class CollectiveTimeoutException(string message) : Exception(message);
