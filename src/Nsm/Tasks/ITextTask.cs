namespace Nsm.Tasks;

/// <summary>A task over text, whose per-token loss converts to bits per character.</summary>
public interface ITextTask
{
    /// <summary>
    /// Bits per character of the held-out text from the mean loss per token (nats):
    /// total nats / characters / ln 2 = loss * tokens / characters / ln 2. Equal to bits per
    /// token for character-level tasks.
    /// </summary>
    double BitsPerCharacter(double lossPerToken);
}
