using System.Runtime.CompilerServices;

namespace Nsm.Tests.Contract;

/// <summary>
/// Golden files under Contract/Snapshots/ that pin what users depend on. A mismatch fails the
/// test; with NSM_UPDATE_SNAPSHOTS=1 the file is rewritten instead (commit it only when the
/// change is deliberate).
/// </summary>
public static class ContractSnapshot
{
    public static string Folder([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "Snapshots");

    public static void Match(string fileName, string actual)
    {
        var path = Path.Combine(Folder(), fileName);
        if (Environment.GetEnvironmentVariable("NSM_UPDATE_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(Folder());
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"no snapshot {path}; run with NSM_UPDATE_SNAPSHOTS=1 to record it");
        var expected = File.ReadAllText(path);
        if (expected == actual) return;
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i]) i++;
        Assert.Fail($"{fileName} differs at line {i + 1}: expected '{(i < a.Length ? a[i] : "<end>")}', got '{(i < b.Length ? b[i] : "<end>")}'");
    }
}
