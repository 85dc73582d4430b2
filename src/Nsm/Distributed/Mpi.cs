using System.Runtime.InteropServices;

namespace Nsm.Distributed;

/// <summary>
/// The few Open MPI calls data-parallel training needs, bound to <c>libmpi.so.40</c> (Open MPI 4.x).
/// In Open MPI the handles <c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c> are addresses
/// of global objects (<c>ompi_mpi_comm_world</c>, ...), read here with <see cref="NativeLibrary.GetExport"/>.
/// Nothing loads the library until <see cref="Load"/> runs, which only happens under mpirun.
/// </summary>
internal static class Mpi
{
    public const string Library = "libmpi.so.40";

    /// <summary>Open MPI's MPI_IN_PLACE is <c>(void*)1</c>.</summary>
    public static readonly IntPtr InPlace = 1;

    /// <summary>Open MPI's MPI_STATUS_IGNORE is <c>(MPI_Status*)0</c>.</summary>
    public static readonly IntPtr StatusIgnore = 0;

    public static IntPtr CommWorld { get; private set; }
    public static IntPtr Float { get; private set; }
    public static IntPtr Double { get; private set; }
    public static IntPtr Int { get; private set; }
    public static IntPtr Byte { get; private set; }
    public static IntPtr Sum { get; private set; }

    /// <summary>
    /// Loads libmpi with RTLD_GLOBAL (Open MPI's plugins resolve its symbols from the global
    /// namespace; .NET's own loader opens libraries RTLD_LOCAL) and reads the handles.
    /// </summary>
    public static void Load()
    {
        if (CommWorld != IntPtr.Zero) return;
        var handle = dlopen(Library, RtldNow | RtldGlobal);
        if (handle == IntPtr.Zero)
            throw new DllNotFoundException($"cannot load {Library} (install Open MPI: apt-get install openmpi-bin): {Marshal.PtrToStringAnsi(dlerror())}");
        CommWorld = NativeLibrary.GetExport(handle, "ompi_mpi_comm_world");
        Float = NativeLibrary.GetExport(handle, "ompi_mpi_float");
        Double = NativeLibrary.GetExport(handle, "ompi_mpi_double");
        Int = NativeLibrary.GetExport(handle, "ompi_mpi_int");
        Byte = NativeLibrary.GetExport(handle, "ompi_mpi_byte");
        Sum = NativeLibrary.GetExport(handle, "ompi_mpi_op_sum");
    }

    /// <summary>Throws when an MPI call did not return MPI_SUCCESS (0).</summary>
    public static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error {code}");
    }

    private const int RtldNow = 2, RtldGlobal = 0x100;

    [DllImport("libc.so.6")] private static extern IntPtr dlopen(string file, int mode);
    [DllImport("libc.so.6")] private static extern IntPtr dlerror();

    [DllImport(Library)] public static extern int MPI_Init(IntPtr argc, IntPtr argv);
    [DllImport(Library)] public static extern int MPI_Finalize();
    [DllImport(Library)] public static extern int MPI_Comm_rank(IntPtr comm, out int rank);
    [DllImport(Library)] public static extern int MPI_Comm_size(IntPtr comm, out int size);
    [DllImport(Library)] public static extern int MPI_Abort(IntPtr comm, int errorCode);

    // The non-blocking forms, polled with MPI_Test so that a wait can end by a deadline.
    // An MPI_Request is a pointer in Open MPI (struct ompi_request_t*).
    [DllImport(Library)] public static extern int MPI_Iallreduce(IntPtr sendBuffer, IntPtr receiveBuffer, int count, IntPtr datatype, IntPtr op, IntPtr comm, out IntPtr request);
    [DllImport(Library)] public static extern int MPI_Ibcast(IntPtr buffer, int count, IntPtr datatype, int root, IntPtr comm, out IntPtr request);
    [DllImport(Library)] public static extern int MPI_Iallgather(IntPtr sendBuffer, int sendCount, IntPtr sendType, IntPtr receiveBuffer, int receiveCount, IntPtr receiveType, IntPtr comm, out IntPtr request);
    [DllImport(Library)] public static extern int MPI_Isend(IntPtr buffer, int count, IntPtr datatype, int destination, int tag, IntPtr comm, out IntPtr request);
    [DllImport(Library)] public static extern int MPI_Irecv(IntPtr buffer, int count, IntPtr datatype, int source, int tag, IntPtr comm, out IntPtr request);
    [DllImport(Library)] public static extern int MPI_Test(ref IntPtr request, out int flag, IntPtr status);
}
