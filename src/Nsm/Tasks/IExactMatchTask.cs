namespace Nsm.Tasks;

/// <summary>
/// A task scored by exact match: an example counts as correct only when every one of its scored
/// targets is predicted (RULER's passkey). For these tasks <c>accuracy</c> in evaluation and the
/// training log is the fraction of examples answered exactly, not of tokens.
/// </summary>
public interface IExactMatchTask : ITask
{
}
