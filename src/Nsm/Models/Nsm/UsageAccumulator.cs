using static TorchSharp.torch;

namespace Nsm.Models.Nsm;

/// <summary>
/// Sums the read and write mass per slot over the chunks of one layer call, for the usage EMAs
/// of the <see cref="StateManager"/>. Outside the autograd graph: usage steers pruning and
/// allocation, it is not trained.
/// </summary>
internal sealed class UsageAccumulator
{
    private Tensor? read;
    private Tensor? write;
    private int reads;
    private int writes;

    /// <summary>weights: (B, h, n, s) attention within the slots; share: (B, h, n, 1) share of the joint read that went to slots.</summary>
    public void AddRead(Tensor weights, Tensor share)
    {
        using var noGrad = no_grad();
        var mass = (weights * share).mean([0, 1, 2]).detach();                 // (s)
        read = read is null ? mass : read + mass;
        reads++;
    }

    /// <summary>mass: (B, s, d) per-channel write mass.</summary>
    public void AddWrite(Tensor mass)
    {
        using var noGrad = no_grad();
        var perSlot = mass.mean([0, 2]).detach();                               // (s)
        write = write is null ? perSlot : write + perSlot;
        writes++;
    }

    /// <summary>Hands the mean read and write mass per chunk (s) to the manager's usage EMAs with decay.</summary>
    public void Record(StateManager manager, double decay)
    {
        using var noGrad = no_grad();
        using var writeMean = write is null ? null : write / writes;
        using var readMean = read is null ? null : read / reads;
        manager.RecordUsage(writeMean, readMean, decay);
    }
}
