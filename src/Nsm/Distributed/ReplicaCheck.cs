using System.Runtime.InteropServices;
using System.Security.Cryptography;
using static TorchSharp.torch;

namespace Nsm.Distributed;

/// <summary>
/// Checks that every rank holds bit-identical weights (<c>train.replica_check_every</c>): each
/// rank hashes the bytes of its parameters and float buffers, one allgather brings every hash
/// to every rank, and a rank whose hash differs from rank 0's ends the job. Data parallelism
/// is only correct while the replicas agree; a rank that drifts (a non-deterministic kernel, a
/// missed update) would otherwise go unnoticed until its checkpoint, written by rank 0 alone,
/// no longer describes what the others trained.
/// </summary>
internal static class ReplicaCheck
{
    /// <summary>The first 8 bytes of SHA-256 over the raw bytes of <paramref name="tensors"/>, in order (float32 ones only).</summary>
    public static long Hash(IEnumerable<Tensor> tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        foreach (var t in tensors.Where(t => t.dtype == ScalarType.Float32))
        {
            var values = t.detach().cpu().contiguous().data<float>().ToArray();
            hash.AppendData(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        return BitConverter.ToInt64(hash.GetHashAndReset(), 0);
    }

    /// <summary>The ranks whose hash differs from rank 0's (index 0), in order.</summary>
    public static IReadOnlyList<int> Differing(IReadOnlyList<long> hashes) =>
        Enumerable.Range(1, hashes.Count - 1).Where(r => hashes[r] != hashes[0]).ToArray();

    /// <summary>
    /// Compares the hash of <paramref name="tensors"/> over all ranks after step
    /// <paramref name="step"/>; throws <see cref="ReplicaMismatchException"/> naming the ranks that differ from rank 0.
    /// </summary>
    public static void Check(Communicator comm, IEnumerable<Tensor> tensors, long step)
    {
        var hashes = comm.AllGather(Hash(tensors), $"weight-hash allgather after step {step}");
        var differing = Differing(hashes);
        if (differing.Count > 0)
            throw new ReplicaMismatchException($"after step {step} the weights of rank{(differing.Count == 1 ? "" : "s")} {string.Join(", ", differing)} differ from rank 0's (hash {hashes[0]:x16} vs {hashes[differing[0]]:x16}; train.replica_check_every)");
    }
}

/// <summary>The ranks of a data-parallel job no longer hold the same weights.</summary>
public sealed class ReplicaMismatchException(string message) : Exception(message);
