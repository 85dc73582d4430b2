using System.Runtime.InteropServices;

namespace Nsm.Distributed;

/// <summary>
/// The ranks of one training job: <see cref="Single"/> for a plain process (every collective is
/// the identity, no MPI library is loaded), or MPI_COMM_WORLD when started by mpirun.
/// </summary>
public sealed class Communicator : IDisposable
{
    private readonly bool mpi;

    private Communicator(int rank, int size, bool mpi)
    {
        Rank = rank;
        Size = size;
        this.mpi = mpi;
    }

    /// <summary>This process's rank, 0 .. Size - 1.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks (K).</summary>
    public int Size { get; }

    /// <summary>Rank 0 writes the run folder and prints progress.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>One process, no MPI.</summary>
    public static Communicator Single { get; } = new(0, 1, mpi: false);

    /// <summary>
    /// Whether this process was started by an MPI launcher (Open MPI sets OMPI_COMM_WORLD_SIZE,
    /// PMIx launchers PMIX_RANK). Read from the environment only; nothing is loaded.
    /// </summary>
    public static bool InMpiJob =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    /// <summary>MPI_COMM_WORLD under mpirun (MPI_Init runs here), else <see cref="Single"/>.</summary>
    public static Communicator FromEnvironment()
    {
        if (!InMpiJob) return Single;
        Mpi.Load();
        Mpi.Check(Mpi.MPI_Init(IntPtr.Zero, IntPtr.Zero), "MPI_Init");
        Mpi.Check(Mpi.MPI_Comm_rank(Mpi.CommWorld, out var rank), "MPI_Comm_rank");
        Mpi.Check(Mpi.MPI_Comm_size(Mpi.CommWorld, out var size), "MPI_Comm_size");
        return new Communicator(rank, size, mpi: true);
    }

    /// <summary>Sums <paramref name="buffer"/> element-wise over all ranks, in place (one MPI_Allreduce).</summary>
    public void AllReduceSum(float[] buffer)
    {
        if (!mpi) return;
        var pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try { Mpi.Check(Mpi.MPI_Allreduce(Mpi.InPlace, pin.AddrOfPinnedObject(), buffer.Length, Mpi.Float, Mpi.Sum, Mpi.CommWorld), "MPI_Allreduce"); }
        finally { pin.Free(); }
    }

    /// <summary>Overwrites <paramref name="buffer"/> on every rank with rank 0's.</summary>
    public void Broadcast(float[] buffer)
    {
        if (!mpi) return;
        var pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try { Mpi.Check(Mpi.MPI_Bcast(pin.AddrOfPinnedObject(), buffer.Length, Mpi.Float, 0, Mpi.CommWorld), "MPI_Bcast"); }
        finally { pin.Free(); }
    }

    /// <summary>Ends every rank of the job with <paramref name="exitCode"/> (MPI_Abort); a plain process just exits.</summary>
    public void Abort(int exitCode)
    {
        if (mpi) Mpi.MPI_Abort(Mpi.CommWorld, exitCode);
        Environment.Exit(exitCode);
    }

    public void Dispose()
    {
        if (mpi) Mpi.MPI_Finalize();
    }
}
