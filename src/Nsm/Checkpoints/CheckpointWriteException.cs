namespace Nsm.Checkpoints;

/// <summary>
/// A checkpoint could not be written (a full disk, a folder that became read-only); the folder
/// still holds the previous checkpoint, whole, and no temporary file of the failed one.
/// </summary>
public sealed class CheckpointWriteException(string message, Exception inner) : IOException(message, inner);
