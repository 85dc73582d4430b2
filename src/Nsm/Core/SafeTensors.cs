using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Nsm.Core;

/// <summary>
/// Reader and writer of the safetensors format:
/// an 8-byte little-endian header length, a JSON header mapping each name to dtype, shape and
/// byte range, optional string metadata under "__metadata__", then the raw little-endian data.
/// The numpy-only loader of docs/python.md reads files written here (tests/Nsm.Tests/Python/).
/// </summary>
public static class SafeTensors
{
    private static readonly Dictionary<ScalarType, string> DtypeNames = new()
    {
        [ScalarType.Float32] = "F32", [ScalarType.Float64] = "F64", [ScalarType.Float16] = "F16",
        [ScalarType.BFloat16] = "BF16", [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32",
        [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8", [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    private static readonly Dictionary<ScalarType, long> ElementBytes = new()
    {
        [ScalarType.Float32] = 4, [ScalarType.Float64] = 8, [ScalarType.Float16] = 2,
        [ScalarType.BFloat16] = 2, [ScalarType.Int64] = 8, [ScalarType.Int32] = 4,
        [ScalarType.Int16] = 2, [ScalarType.Int8] = 1, [ScalarType.Byte] = 1, [ScalarType.Bool] = 1,
    };

    private const long MaxHeaderBytes = 100_000_000;

    /// <summary>Writes tensors (any device) and metadata atomically.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        AtomicFile.Write(path, tmp =>
        {
            using var scope = NewDisposeScope();
            var header = new JsonObject();
            if (metadata is { Count: > 0 })
                header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
            var blobs = new List<Tensor>();
            long offset = 0;
            foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!DtypeNames.TryGetValue(tensor.dtype, out var dtype)) throw new NotSupportedException($"safetensors: unsupported dtype {tensor.dtype} of '{name}'");
                var data = tensor.detach().cpu().contiguous();
                var size = data.numel() * data.element_size();
                header[name] = new JsonObject
                {
                    ["dtype"] = dtype,
                    ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                    ["data_offsets"] = new JsonArray(offset, offset + size),
                };
                offset += size;
                blobs.Add(data);
            }
            var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
            var padded = (headerBytes.Length + 7) / 8 * 8;
            using var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write);
            Span<byte> lengthBytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)padded);
            stream.Write(lengthBytes);
            stream.Write(headerBytes);
            for (var i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var blob in blobs) stream.Write(blob.bytes);
            stream.Flush(flushToDisk: true);
        });
    }

    /// <summary>Reads every tensor and the metadata; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path, Device? device = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"file not found: {path}", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{path} is not a safetensors file (too short)");
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > bytes.Length)
            throw new InvalidDataException($"{path} is not a safetensors file (bad header length)");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength), documentOptions: StrictJson.Document)!.AsObject();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new InvalidDataException($"{path} is not a safetensors file (corrupt header)");
        }
        var dataStart = 8 + headerLength;
        var metadata = new Dictionary<string, string>();
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    foreach (var (k, v) in node!.AsObject()) metadata[k] = v!.GetValue<string>();
                    continue;
                }
                var entry = node!.AsObject();
                var dtypeName = entry["dtype"]!.GetValue<string>();
                var dtype = DtypeNames.FirstOrDefault(kv => kv.Value == dtypeName).Key;
                if (!DtypeNames.ContainsKey(dtype) || DtypeNames[dtype] != dtypeName) throw new InvalidDataException($"{path}: unsupported dtype {dtypeName} of '{name}'");
                var shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var offsets = entry["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                // Checked before anything is allocated: a corrupt shape would otherwise reach libtorch
                // (a negative or overflowing size, or terabytes asked of the allocator).
                if (offsets.Length != 2 || shape.Any(d => d < 0) || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > bytes.Length - dataStart
                    || offsets[1] - offsets[0] != checked(shape.Aggregate(ElementBytes[dtype], (a, d) => a * d)))
                    throw new InvalidDataException($"{path} is truncated or corrupt (tensor '{name}')");
                var length = offsets[1] - offsets[0];
                var tensor = empty(shape, dtype);
                bytes.AsSpan((int)(dataStart + offsets[0]), (int)length).CopyTo(tensor.bytes);
                tensors[name] = device is null ? tensor : tensor.to(device);
            }
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or NullReferenceException or FormatException or IndexOutOfRangeException or OverflowException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            if (e is InvalidDataException) throw;
            throw new InvalidDataException($"{path} is not a safetensors file (corrupt header)");
        }
        return (tensors, metadata);
    }
}
