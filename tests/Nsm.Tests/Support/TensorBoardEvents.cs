using System.Buffers.Binary;
using System.Text;

namespace Nsm.Tests.Support;

/// <summary>One summary value of a TensorBoard event: a scalar or a histogram's count.</summary>
public sealed record TensorBoardValue(long Step, string Tag, float? Scalar, double? HistogramCount);

/// <summary>
/// Reads TensorBoard event files without TorchSharp or a protobuf library: TFRecord framing
/// (length, masked CRC-32C of the length, data, masked CRC-32C of the data, every checksum
/// checked) and the few protobuf fields of Event/Summary/Value/HistogramProto that matter.
/// </summary>
public static class TensorBoardEvents
{
    public static List<TensorBoardValue> Read(string folder)
    {
        var values = new List<TensorBoardValue>();
        foreach (var file in Directory.EnumerateFiles(folder, "events.out.tfevents.*"))
        {
            var bytes = File.ReadAllBytes(file);
            var at = 0;
            while (at < bytes.Length)
            {
                var header = bytes.AsSpan(at, 8);
                var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(header);
                if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8, 4)) != Masked(Crc32C(header)))
                    throw new InvalidDataException($"{file}: bad length checksum at byte {at}");
                var data = bytes.AsSpan(at + 12, length);
                if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length, 4)) != Masked(Crc32C(data)))
                    throw new InvalidDataException($"{file}: bad data checksum at byte {at}");
                ReadEvent(data.ToArray(), values);
                at += 12 + length + 4;
            }
        }
        return values;
    }

    private static void ReadEvent(byte[] data, List<TensorBoardValue> values)
    {
        long step = 0;
        var summaries = new List<byte[]>();
        foreach (var (field, _, payload, number) in Fields(data))
        {
            if (field == 2) step = (long)number;
            if (field == 5) summaries.Add(payload!);
        }
        foreach (var summary in summaries)
            foreach (var (field, _, value, _) in Fields(summary))
            {
                if (field != 1) continue;
                string tag = "";
                float? scalar = null;
                double? count = null;
                foreach (var (f, wire, payload, number) in Fields(value!))
                {
                    if (f == 1) tag = Encoding.UTF8.GetString(payload!);
                    if (f == 2 && wire == 5) scalar = BitConverter.Int32BitsToSingle((int)number);
                    if (f == 5)
                        foreach (var (hf, hw, _, hn) in Fields(payload!))
                            if (hf == 3 && hw == 1) count = BitConverter.Int64BitsToDouble((long)hn);
                }
                values.Add(new TensorBoardValue(step, tag, scalar, count));
            }
    }

    /// <summary>Protobuf fields: number, wire type, bytes (length-delimited) or the fixed/varint value.</summary>
    private static IEnumerable<(int Field, int Wire, byte[]? Payload, ulong Number)> Fields(byte[] data)
    {
        var at = 0;
        while (at < data.Length)
        {
            var key = Varint(data, ref at);
            var (field, wire) = ((int)(key >> 3), (int)(key & 7));
            switch (wire)
            {
                case 0: yield return (field, wire, null, Varint(data, ref at)); break;
                case 1: yield return (field, wire, null, BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at, 8))); at += 8; break;
                case 5: yield return (field, wire, null, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at, 4))); at += 4; break;
                case 2:
                    var length = (int)Varint(data, ref at);
                    yield return (field, wire, data.AsSpan(at, length).ToArray(), 0);
                    at += length;
                    break;
                default: throw new InvalidDataException($"protobuf wire type {wire}");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
    }

    private static uint Masked(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8;

    /// <summary>CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit.</summary>
    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xffffffffu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }
}
