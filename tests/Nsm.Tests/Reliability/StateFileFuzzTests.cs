using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Tests.Models.Nsm;
using Nsm.Tests.Support;

namespace Nsm.Tests.Reliability;

/// <summary>
/// Mutated saved streaming states (<see cref="ModelState.Save"/> of an NSM after 19 tokens)
/// through the library API, since no command reads one: <see cref="ModelState.Load"/> returns a
/// state or throws <see cref="InvalidDataException"/> naming the file, never another exception,
/// and the file is left as it was. NSM_FUZZ_CASES=N tries N (docs/reliability.md).
/// </summary>
public sealed class StateFileFuzzTests
{
    [Fact]
    public void MutatedStatesLoadOrAreRefusedWithInvalidData()
    {
        var tally = new FuzzCase.Tally("saved streaming states (ModelState.Load)");
        using var dir = TestConfigs.TempDir();
        var good = dir.Sub("good.safetensors");
        using (var model = NsmTestModels.Create())
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        {
            var (_, state) = model.Forward(randint(0, NsmTestModels.Vocab, [2, 19]), model.InitialState(2));
            state.Save(good);
        }
        var original = File.ReadAllBytes(good);
        var mutator = new Mutator(25);
        var path = dir.Sub("state.safetensors");
        for (var i = 0; i < FuzzCase.Cases(60); i++)
        {
            var bytes = mutator.Next(3) == 0 ? MutateHeader(original, mutator) : mutator.Bytes(original);
            File.WriteAllBytes(path, bytes);
            try
            {
                using var loaded = ModelState.Load(path);
                tally.Add("ok");
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith(path, e.Message);
                Assert.DoesNotContain('\n', e.Message);
                tally.Add("error");
            }
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }
        tally.Report("refused with InvalidDataException");
    }

    private static readonly string[] Awkward = ["-4", "0", "1", "3", "2147483648", "9999999999999", "4000000000000", "4.5", "1e3", "-0"];

    /// <summary>Mutates the JSON header only (names, dtypes, shapes, offsets, the position), keeping its length field right.</summary>
    private static byte[] MutateHeader(byte[] file, Mutator mutator)
    {
        var length = (int)BitConverter.ToUInt64(file, 0);
        var header = System.Text.Encoding.UTF8.GetString(file, 8, length);
        string text;
        if (mutator.Next(2) == 0)
        {
            // A number anywhere, shapes and offsets included (Mutator.Json replaces values of keys only).
            var numbers = System.Text.RegularExpressions.Regex.Matches(header, "[0-9]+");
            var m = numbers[mutator.Next(numbers.Count)];
            text = header[..m.Index] + Awkward[mutator.Next(Awkward.Length)] + header[(m.Index + m.Length)..];
        }
        else text = mutator.Json(header);
        var mutated = System.Text.Encoding.UTF8.GetBytes(text);
        return [.. BitConverter.GetBytes((ulong)mutated.Length), .. mutated, .. file.AsSpan(8 + length)];
    }
}
