namespace Nsm.Distributed;

/// <summary>
/// A rank's reasons to end training after this step, carried in the gradient allreduce: after
/// it, a reason holds for all ranks if it held on any. Each rank has its own clock
/// (<c>train.max_seconds</c>) and its own Ctrl+C; deciding alone, one rank would leave the loop
/// while the others wait for it in the next allreduce.
/// </summary>
/// <param name="TimeUp">train.max_seconds has passed.</param>
/// <param name="Cancelled">The run was cancelled (checkpoint, then exit as interrupted).</param>
internal record struct StopVotes(bool TimeUp, bool Cancelled);
