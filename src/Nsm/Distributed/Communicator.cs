using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Nsm.Distributed;

/// <summary>
/// The ranks of one training job: <see cref="Single"/> for a plain process (every collective is
/// the identity, no MPI library is loaded), or MPI_COMM_WORLD when started by mpirun. Every
/// collective is started non-blocking and polled with MPI_Test until it completes or
/// <see cref="CollectiveTimeout"/> passes, so a dead or hung rank ends the job with an error
/// instead of leaving the others waiting forever (as the blocking calls would).
/// </summary>
public sealed class Communicator : IDisposable
{
    private readonly bool mpi;
    private readonly PosixSignalRegistration? onTerminate;
    private int sequence;
    // What this rank waits in, for the line written when the launcher ends it (read from the signal handler).
    private volatile string? waitingIn;
    private volatile Arrivals? waitingFor;

    private Communicator(int rank, int size, bool mpi, TextWriter? errors)
    {
        Rank = rank;
        Size = size;
        this.mpi = mpi;
        // mpirun ends the other ranks with SIGTERM when one dies; say where this one was, naming the ranks that had not arrived.
        if (mpi && errors is not null)
            onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => { errors.WriteLine(TerminatedLine()); errors.Flush(); });
    }

    /// <summary>This process's rank, 0 .. Size - 1.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks (K).</summary>
    public int Size { get; }

    /// <summary>Rank 0 writes the run folder and prints progress.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>
    /// How long one collective may take, arrival of the slowest rank included, before this rank
    /// gives up with a <see cref="CollectiveTimeoutException"/>; infinite by default.
    /// </summary>
    public TimeSpan CollectiveTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>One process, no MPI.</summary>
    public static Communicator Single { get; } = new(0, 1, mpi: false, errors: null);

    /// <summary>
    /// Whether this process was started by an MPI launcher (Open MPI sets OMPI_COMM_WORLD_SIZE,
    /// PMIx launchers PMIX_RANK). Read from the environment only; nothing is loaded.
    /// </summary>
    public static bool InMpiJob =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    /// <summary>
    /// MPI_COMM_WORLD under mpirun (MPI_Init runs here), else <see cref="Single"/>.
    /// <paramref name="errors"/> gets one line if the launcher ends this rank (SIGTERM).
    /// </summary>
    public static Communicator FromEnvironment(TextWriter? errors = null)
    {
        if (!InMpiJob) return Single;
        Mpi.Load();
        Mpi.Check(Mpi.MPI_Init(IntPtr.Zero, IntPtr.Zero), "MPI_Init");
        Mpi.Check(Mpi.MPI_Comm_rank(Mpi.CommWorld, out var rank), "MPI_Comm_rank");
        Mpi.Check(Mpi.MPI_Comm_size(Mpi.CommWorld, out var size), "MPI_Comm_size");
        return new Communicator(rank, size, mpi: true, errors);
    }

    /// <summary>Sums <paramref name="buffer"/> element-wise over all ranks, in place (one MPI_Iallreduce); <paramref name="what"/> names it in errors.</summary>
    public void AllReduceSum(float[] buffer, string what)
    {
        if (!mpi) return;
        Complete(buffer, what, at => Mpi.MPI_Iallreduce(Mpi.InPlace, at, buffer.Length, Mpi.Float, Mpi.Sum, Mpi.CommWorld, out var request) is var code && code == 0 ? request : Fail(code, "MPI_Iallreduce"));
    }

    /// <summary>Sums <paramref name="buffer"/> element-wise over all ranks, in place, in float64 (sums and counts that float32 would round).</summary>
    public void AllReduceSum(double[] buffer, string what)
    {
        if (!mpi) return;
        Complete(buffer, what, at => Mpi.MPI_Iallreduce(Mpi.InPlace, at, buffer.Length, Mpi.Double, Mpi.Sum, Mpi.CommWorld, out var request) is var code && code == 0 ? request : Fail(code, "MPI_Iallreduce"));
    }

    /// <summary>Overwrites <paramref name="buffer"/> on every rank with rank 0's (one MPI_Ibcast).</summary>
    public void Broadcast(float[] buffer, string what)
    {
        if (!mpi) return;
        Complete(buffer, what, at => Mpi.MPI_Ibcast(at, buffer.Length, Mpi.Float, 0, Mpi.CommWorld, out var request) is var code && code == 0 ? request : Fail(code, "MPI_Ibcast"));
    }

    /// <summary>Every rank's <paramref name="value"/>, in rank order (one MPI_Iallgather).</summary>
    public long[] AllGather(long value, string what)
    {
        if (!mpi) return [value];
        var values = new long[Size + 1];
        values[Size] = value;
        // The send value sits behind the receive slots in the same pinned array.
        Complete(values, what, at => Mpi.MPI_Iallgather(at + Size * sizeof(long), sizeof(long), Mpi.Byte, at, sizeof(long), Mpi.Byte, Mpi.CommWorld, out var request) is var code && code == 0 ? request : Fail(code, "MPI_Iallgather"));
        return values[..Size];
    }

    /// <summary>Ends every rank of the job with <paramref name="exitCode"/> (MPI_Abort); a plain process just exits.</summary>
    public void Abort(int exitCode)
    {
        if (mpi) Mpi.MPI_Abort(Mpi.CommWorld, exitCode);
        Environment.Exit(exitCode);
    }

    public void Dispose()
    {
        onTerminate?.Dispose();
        if (mpi) Mpi.MPI_Finalize();
    }

    /// <summary>
    /// Posts this rank's arrival notices and the collective that <paramref name="start"/> begins
    /// on the pinned <paramref name="buffer"/>, then polls both until they complete or the deadline passes.
    /// </summary>
    private void Complete(Array buffer, string what, Func<IntPtr, IntPtr> start)
    {
        var pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        var arrivals = Arrivals.Post(Rank, Size, ++sequence);
        var request = start(pin.AddrOfPinnedObject());
        waitingIn = what;
        waitingFor = arrivals;
        var clock = Stopwatch.StartNew();
        bool collectiveDone = false, arrivalsDone = false;
        while (true)
        {
            if (!collectiveDone)
            {
                Mpi.Check(Mpi.MPI_Test(ref request, out var flag, Mpi.StatusIgnore), "MPI_Test");
                collectiveDone = flag != 0;
            }
            if (!arrivalsDone) arrivalsDone = arrivals.Poll();
            if (collectiveDone && arrivalsDone) break;
            if (CollectiveTimeout != Timeout.InfiniteTimeSpan && clock.Elapsed > CollectiveTimeout)
                // The buffers stay pinned: MPI may still write them until the job is aborted.
                throw new CollectiveTimeoutException(TimeoutMessage(what, arrivals.Missing));
            // Open MPI progresses a non-blocking collective only inside MPI calls: test often while
            // the wait is short (a step's allreduce), then once a millisecond (a rank writing a checkpoint).
            if (clock.ElapsedMilliseconds < 20) Thread.Yield();
            else Thread.Sleep(1);
        }
        waitingIn = null;
        waitingFor = null;
        arrivals.Release();
        pin.Free();
    }

    private string TimeoutMessage(string what, IReadOnlyList<int> missing)
    {
        var seconds = $"{CollectiveTimeout.TotalSeconds:G} s (train.collective_timeout_s)";
        if (missing.Count > 0) return $"{Ranks(missing)} did not reach the {what} within {seconds}: dead or hung";
        return IsRoot
            ? $"every rank reached the {what} but it did not complete within {seconds}"
            : $"the {what} did not complete within {seconds}; rank 0's line names the ranks that did not reach it";
    }

    private string TerminatedLine()
    {
        var where = waitingIn;
        var missing = waitingFor?.Missing ?? [];
        var detail = where is null ? "outside any collective"
            : missing.Count > 0 ? $"while waiting in the {where}, which {Ranks(missing)} had not reached (dead or hung)"
            : $"while waiting in the {where}";
        return $"nsm: rank {Rank} of {Size} was ended by SIGTERM from the launcher (another rank died or aborted) {detail}";
    }

    private static string Ranks(IReadOnlyList<int> ranks) => (ranks.Count == 1 ? "rank " : "ranks ") + string.Join(", ", ranks);

    private static IntPtr Fail(int code, string call)
    {
        Mpi.Check(code, call);
        return IntPtr.Zero;
    }
}
