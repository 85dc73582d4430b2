using System.Runtime.InteropServices;

namespace Nsm.Distributed;

/// <summary>
/// Which ranks have reached a collective: before joining it, every other rank sends rank 0 a
/// one-int notice (MPI_Isend), and rank 0 receives one from each (MPI_Irecv). A collective
/// that does not complete says nothing about who is missing; these notices let rank 0 name the
/// ranks that never arrived (dead, hung, or still computing). One small message per rank and
/// collective, which costs microseconds beside the gradient allreduce.
/// </summary>
internal sealed class Arrivals
{
    /// <summary>The tag of the notices; no other point-to-point message is sent.</summary>
    private const int Tag = 18;

    private readonly int[] notices;
    private readonly GCHandle pin;
    private readonly IntPtr[] requests;
    private readonly int[] ranks;
    private readonly bool root;

    private Arrivals(int rank, int size, int sequence)
    {
        // Rank 0: one receive per other rank; the others: one send to rank 0.
        root = rank == 0;
        ranks = rank == 0 ? Enumerable.Range(1, size - 1).ToArray() : [0];
        notices = Enumerable.Repeat(sequence, ranks.Length).ToArray();
        requests = new IntPtr[ranks.Length];
        pin = GCHandle.Alloc(notices, GCHandleType.Pinned);
        for (var i = 0; i < ranks.Length; i++)
        {
            var at = pin.AddrOfPinnedObject() + i * sizeof(int);
            Mpi.Check(rank == 0
                ? Mpi.MPI_Irecv(at, 1, Mpi.Int, ranks[i], Tag, Mpi.CommWorld, out requests[i])
                : Mpi.MPI_Isend(at, 1, Mpi.Int, 0, Tag, Mpi.CommWorld, out requests[i]), rank == 0 ? "MPI_Irecv" : "MPI_Isend");
        }
    }

    /// <summary>Posts this rank's notices for collective number <paramref name="sequence"/>.</summary>
    public static Arrivals Post(int rank, int size, int sequence) => new(rank, size, sequence);

    /// <summary>Tests the pending notices (MPI_Test); true when all have completed.</summary>
    public bool Poll()
    {
        var done = true;
        for (var i = 0; i < requests.Length; i++)
        {
            if (requests[i] == IntPtr.Zero) continue;
            Mpi.Check(Mpi.MPI_Test(ref requests[i], out var flag, Mpi.StatusIgnore), "MPI_Test");
            // MPI_Test sets a completed request to MPI_REQUEST_NULL (address of ompi_request_null), not zero.
            if (flag != 0) requests[i] = IntPtr.Zero;
            else done = false;
        }
        return done;
    }

    /// <summary>On rank 0, the ranks whose notice has not come (empty on the others).</summary>
    public IReadOnlyList<int> Missing => root ? ranks.Where((_, i) => requests[i] != IntPtr.Zero).ToArray() : [];

    /// <summary>Unpins the notices; only after <see cref="Poll"/> returned true (MPI may still write them before).</summary>
    public void Release() => pin.Free();
}
