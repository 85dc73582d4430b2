using System.Text;

namespace Nsm.Tests.Contract;

/// <summary>
/// The types the library package (<c>Nsm</c>) exports are a deliberate list: a type that becomes
/// public, or stops being public, changes what users of the package can build on, so it shows up
/// here as a snapshot diff (rewrite with NSM_UPDATE_SNAPSHOTS=1 when the change is meant).
/// Implementation helpers and the plain reference implementations the tests check the fast ops
/// against are internal (the tests see them through InternalsVisibleTo).
/// </summary>
public sealed class PublicApiSnapshotTests
{
    [Fact]
    public void ExportedTypesOfTheLibraryAreUnchanged()
    {
        var text = new StringBuilder();
        foreach (var type in typeof(Nsm.Core.SafeTensors).Assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
            text.Append(Kind(type)).Append(' ').Append(type.FullName).Append('\n');
        ContractSnapshot.Match("public-api.txt", text.ToString());
    }

    [Theory]
    [InlineData("Nsm.Core.GcPause")]
    [InlineData("Nsm.Distributed.Mpi")]
    [InlineData("Nsm.Distributed.GradientSync")]
    [InlineData("Nsm.Ops.WindowedAttentionReference")]
    [InlineData("Nsm.Models.Nsm.NsmReference")]
    public void ImplementationHelpersAreNotExported(string name)
    {
        var type = typeof(Nsm.Core.SafeTensors).Assembly.GetType(name);
        Assert.NotNull(type);
        Assert.False(type.IsVisible, $"{name} is part of the public API");
    }

    private static string Kind(Type type) =>
        type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct"
        : typeof(Delegate).IsAssignableFrom(type) ? "delegate" : "class";
}
