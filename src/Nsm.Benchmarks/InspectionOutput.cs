using System.Net;
using System.Text;
using System.Text.Json;
using Nsm.Config;
using Nsm.Core;
using Nsm.Inspection;

namespace Nsm.Benchmarks;

/// <summary>
/// Writes an <see cref="InspectionReport"/> into a folder: inspect.json (the report), one PNG per
/// picture and a self-contained index.html (the text, every picture embedded, the numbers).
/// Ranges longer than <see cref="MaxTokenRows"/> positions are drawn one row per chunk (the mean
/// of its tokens); inspect.json always holds every position of the range.
/// </summary>
public static class InspectionOutput
{
    public const int MaxTokenRows = 160;
    public const string JsonFile = "inspect.json";
    public const string PageFile = "index.html";

    private static readonly JsonSerializerOptions Json = new(NonFiniteAsNullConverter.With(new JsonSerializerOptions())) { Converters = { new FloatNonFiniteAsNull() } };

    /// <summary>Writes a non-finite float (a model whose weights blew up) as null, like the double converter.</summary>
    private sealed class FloatNonFiniteAsNull : System.Text.Json.Serialization.JsonConverter<float>
    {
        public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? float.NaN : reader.GetSingle();

        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (float.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }

    /// <summary>Writes every file into folder (which must exist); returns the PNG file names in page order.</summary>
    public static IReadOnlyList<string> Write(InspectionReport report, string folder)
    {
        var pictures = new List<(string File, string Caption)>();
        void Add(string file, string caption, byte[] png)
        {
            InspectionCharts.Write(Path.Combine(folder, file), png);
            pictures.Add((file, caption));
        }
        var (a, b) = (report.Range[0], report.Range[1]);
        foreach (var layer in report.NsmLayers ?? [])
        {
            var i = layer.Index;
            var slots = layer.Importance.Length;
            var slotLabels = Enumerable.Range(0, slots).Select(j => j.ToString()).ToList();
            var (wa, wb) = (layer.WrittenRange[0], layer.WrittenRange[1]);
            if (wb > wa)
            {
                var withNull = layer.Routing.Select((row, t) => layer.RoutingNull is { } n ? [.. row, n[t]] : row).ToArray();
                var columns = layer.RoutingNull is null ? slotLabels : [.. slotLabels, "null"];
                var (rows, labels) = DisplayRows(withNull, wa, report, layer.ChunkSize);
                var what = layer.RoutingKind == "token" ? "token t's routing over the slots (last column: null slot)" : "slot j's attention on token t";
                Add($"layer{i}-write-routing.png", $"Layer {i} write routing ({layer.RoutingKind} router): {what}, mean over routing heads, tokens {wa}..{wb - 1}.",
                    InspectionCharts.Heatmap($"layer {i}: write routing", rows, labels, columns, "slot", "token", max: 1));
            }
            var joint = layer.Read.Select((row, t) => row.Select(w => w * layer.ReadShare[t]).Append(1 - layer.ReadShare[t]).ToArray()).ToArray();
            var (readRows, readLabels) = DisplayRows(joint, a, report, layer.ChunkSize);
            Add($"layer{i}-read.png", $"Layer {i} read: the share of each token's read attention on each slot; last column: the share read from the local window. Mean over heads; rows sum to 1.",
                InspectionCharts.Heatmap($"layer {i}: read (slots | local window)", readRows, readLabels, [.. slotLabels, "local"], "slot", "token", max: 1));
            var chunkLabels = Enumerable.Range(0, layer.SlotNorm.Length).Select(c => $"after chunk {c}").ToList();
            Add($"layer{i}-slot-norm.png", $"Layer {i} slot evolution: the norm of each slot after each chunk.",
                InspectionCharts.Heatmap($"layer {i}: slot norm after each chunk", ToGrid(layer.SlotNorm), chunkLabels, slotLabels, "slot", "chunk"));
            Add($"layer{i}-slot-change.png", $"Layer {i} slot evolution: how far each slot moved in each chunk, |S_k - S_(k-1)|.",
                InspectionCharts.Heatmap($"layer {i}: slot change per chunk", ToGrid(layer.SlotChange), chunkLabels, slotLabels, "slot", "chunk"));
            Add($"layer{i}-slot-similarity.png", $"Layer {i}: cosine similarity between the slots after the last chunk.",
                InspectionCharts.Heatmap($"layer {i}: slot similarity (final state)", ToGrid(layer.SlotSimilarity), slotLabels, slotLabels, "slot", "slot"));
            Add($"layer{i}-importance.png", $"Layer {i}: importance sigmoid(theta) of each slot (grey: inactive).",
                InspectionCharts.SlotBars($"layer {i}: importance", layer.Importance.Select(v => (double)v).ToList(), layer.Active, "sigmoid(theta)"));
            Add($"layer{i}-usage.png", $"Layer {i}: usage of each slot, the training EMAs of the write mass and of the read mass it received.",
                InspectionCharts.SlotLines($"layer {i}: usage (training EMAs)", [("write mass", layer.WriteUsage.Select(v => (double)v).ToList()), ("read mass", layer.ReadUsage.Select(v => (double)v).ToList())], "mass per chunk"));
        }
        foreach (var layer in report.AttentionLayers ?? [])
        {
            var labels = report.Labels.ToList();
            Add($"layer{layer.Index}-attention.png", $"Layer {layer.Index} attention: each query token's weights over the key tokens {a}..{b - 1}, mean over heads (keys before the range are left out).",
                InspectionCharts.Heatmap($"layer {layer.Index}: attention", ToGrid(layer.Attention), labels, labels, "key token", "query token", max: 1));
        }
        AtomicFile.WriteAllText(Path.Combine(folder, JsonFile), JsonSerializer.Serialize(report, Json));
        AtomicFile.WriteAllText(Path.Combine(folder, PageFile), Page(report, pictures, folder));
        return pictures.Select(p => p.File).ToList();
    }

    /// <summary>Rows per token (labels: the tokens) or, for long ranges, per chunk (mean; labels: the positions).</summary>
    private static (double[,] Rows, IReadOnlyList<string> Labels) DisplayRows(float[][] perToken, int first, InspectionReport report, long chunk)
    {
        if (perToken.Length <= MaxTokenRows)
            return (ToGrid(perToken), perToken.Select((_, t) => $"{first + t} {report.Labels[first + t - report.Range[0]]}").ToList());
        var groups = perToken.Select((row, t) => (row, t: first + t)).GroupBy(r => r.t / chunk).ToList();
        var grid = new double[groups.Count, perToken[0].Length];
        for (var g = 0; g < groups.Count; g++)
            for (var j = 0; j < perToken[0].Length; j++) grid[g, j] = groups[g].Average(r => r.row[j]);
        return (grid, groups.Select(g => $"{g.First().t}-{g.Last().t}").ToList());
    }

    private static double[,] ToGrid(float[][] rows)
    {
        var grid = new double[rows.Length, rows.Length == 0 ? 0 : rows[0].Length];
        for (var r = 0; r < rows.Length; r++)
            for (var c = 0; c < rows[r].Length; c++) grid[r, c] = rows[r][c];
        return grid;
    }

    private static string Page(InspectionReport report, List<(string File, string Caption)> pictures, string folder)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        static string N(double? x) => x is { } v && double.IsFinite(v) ? v.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) : "n/a";
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>nsm inspect: ").Append(E(report.Model)).Append(" on ").Append(E(report.Task)).Append("</title>\n")
            .Append("<style>body{font-family:sans-serif;margin:2em;max-width:1500px}img{max-width:100%;border:1px solid #ccc}figure{margin:1.5em 0}")
            .Append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}.tokens{font-family:monospace;white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:1em}</style></head><body>\n");
        html.Append("<h1>").Append(E(report.Model)).Append(" on ").Append(E(report.Task)).Append("</h1>\n<p>").Append(E(report.Source))
            .Append($": {report.Length} positions, shown {report.Range[0]}..{report.Range[1] - 1}.</p>\n<div class=\"tokens\">").Append(E(string.Join(" ", report.Labels))).Append("</div>\n");
        if (report.NsmLayers is { } layers)
        {
            html.Append("<h2>Numbers</h2>\n<table><tr><th>layer</th><th>routing</th><th>routing entropy (nats)</th><th>effective slots per token</th><th>slots used</th><th>active slots</th><th>NMI top slot / token</th><th>NMI top slot / chunk offset</th><th>mean read share from slots</th><th>MQAR queries</th><th>query reads key's slot</th><th>query reads value's slot</th></tr>\n");
            foreach (var l in layers)
            {
                var s = l.Summary;
                html.Append($"<tr><td>{l.Index}</td><td>{E(l.RoutingKind)}</td><td>{N(s.RoutingEntropy)}</td><td>{N(s.EffectiveSlotsPerToken)}</td><td>{N(s.SlotsUsed)}</td><td>{s.ActiveSlots}</td><td>{N(s.NmiTopSlotToken)}</td><td>{N(s.NmiTopSlotChunkOffset)}</td><td>{N(s.MeanReadShare)}</td><td>{(s.MqarQueries?.ToString() ?? "n/a")}</td><td>{N(s.MqarQueryReadsKeySlot)}</td><td>{N(s.MqarQueryReadsValueSlot)}</td></tr>\n");
            }
            html.Append("</table>\n<p>Definitions: docs/interpretability.md. The raw arrays are in inspect.json.</p>\n");
        }
        html.Append("<h2>Pictures</h2>\n");
        foreach (var (file, caption) in pictures)
        {
            var data = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(folder, file)));
            html.Append("<figure><img alt=\"").Append(E(file)).Append("\" src=\"data:image/png;base64,").Append(data).Append("\"><figcaption>").Append(E(caption)).Append(" (").Append(E(file)).Append(")</figcaption></figure>\n");
        }
        html.Append("</body></html>\n");
        return html.ToString();
    }
}
