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

    public static IntPtr CommWorld { get; private set; }
    public static IntPtr Float { get; private set; }
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
    [DllImport(Library)] public static extern int MPI_Allreduce(IntPtr sendBuffer, IntPtr receiveBuffer, int count, IntPtr datatype, IntPtr op, IntPtr comm);
    [DllImport(Library)] public static extern int MPI_Bcast(IntPtr buffer, int count, IntPtr datatype, int root, IntPtr comm);
    [DllImport(Library)] public static extern int MPI_Abort(IntPtr comm, int errorCode);
}
