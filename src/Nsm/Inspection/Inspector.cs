using static TorchSharp.torch;
using Nsm.Models;
using Nsm.Models.Nsm;
using Nsm.Models.Transformer;
using Nsm.Tasks;

namespace Nsm.Inspection;

/// <summary>
/// Runs a trained model over one sample and turns what its layers did into an
/// <see cref="InspectionReport"/>: for an NSM, each layer's write routing, reads, slot evolution
/// and summary numbers (<see cref="NsmModel.Inspect"/>); for the Transformer, each layer's
/// attention (<see cref="TransformerModel.InspectAttention"/>). Nothing about the model changes.
/// </summary>
public static class Inspector
{
    /// <summary>The model kinds that can be inspected.</summary>
    public static readonly string[] Kinds = ["nsm", "transformer"];

    /// <summary>
    /// The report of input under model; range: positions [Start, End) shown in the arrays (null:
    /// all). One-line ArgumentException for a model that cannot be inspected or a range out of bounds.
    /// </summary>
    public static InspectionReport Run(SequenceModel model, ITask task, string kind, InspectionInput input, (int Start, int End)? range, string source)
    {
        if (model is not (NsmModel or TransformerModel))
            throw new ArgumentException($"model kind '{kind}' cannot be inspected; kinds that can: {string.Join(", ", Kinds)}");
        var n = input.Length;
        var (a, b) = range ?? (0, n);
        if (a < 0 || b > n || a >= b)
            throw new ArgumentException($"--range {a}:{b} is out of bounds: the sample has {n} positions, so 0 <= A < B <= {n}");
        using var scope = NewDisposeScope();
        var device = model.parameters().First().device;
        var inputs = input.Inputs.to(device);
        var mask = input.PaddingMask?.to(device);
        NsmLayerReport[]? nsmLayers = null;
        AttentionLayerReport[]? attentionLayers = null;
        if (model is NsmModel nsm)
        {
            using var inspection = nsm.Inspect(inputs, mask);
            nsmLayers = inspection.Layers.Select((trace, k) => NsmLayer(nsm.Layers[k], nsm.LayerIndices[k], trace, task, input, a, b)).ToArray();
        }
        else
        {
            var (_, attention) = ((TransformerModel)model).InspectAttention(inputs, mask);
            attentionLayers = attention.Select((weights, i) =>
            {
                var w = weights[0].narrow(1, a, b - a).narrow(2, a, b - a).cpu();        // (h, R, R)
                return new AttentionLayerReport(i, Arrays.Rows(w.mean([0])), Arrays.Rows3(w));
            }).ToArray();
        }
        return new InspectionReport(InspectionReport.CurrentSchema, kind, task.Name, source, n, [a, b], input.Labels[a..b], input.TokenIds?[a..b], nsmLayers, attentionLayers);
    }

    private static NsmLayerReport NsmLayer(NsmLayer layer, int index, NsmLayerTrace trace, ITask task, InspectionInput input, int a, int b)
    {
        var chunk = layer.ChunkSize;
        var routing = trace.Routing![0].cpu();                                      // (T, heads, s)
        var written = (int)routing.shape[0];
        var (wa, wb) = (Math.Min(a, written), Math.Min(b, written));
        var routingMean = routing.mean([1]);                                        // (T, s)
        var reads = trace.ReadWeights![0].cpu();                                    // (h, N, s)
        var readMean = reads.mean([0]);                                             // (N, s)
        var share = trace.ReadShare![0].cpu().mean([0]);                            // (N)
        var trajectory = trace.Trajectory![0].cpu();                                // (C, s, d)
        var initial = layer.Manager.InitialSlots(1).cpu();                          // (1, s, d)
        var previous = cat([initial, trajectory.narrow(0, 0, trajectory.shape[0] - 1)], 0);
        var last = trajectory[trajectory.shape[0] - 1];                             // (s, d)
        var unit = last / last.norm(1, keepdim: true).clamp_min(1e-12);
        float[]? nullPerToken = null;
        float[][]? nullPerSlot = null;
        if (trace.RoutingKind == "token") nullPerToken = Arrays.Vector(trace.RoutingNull![0].cpu().mean([1]).narrow(0, wa, wb - wa));
        else nullPerSlot = Arrays.Rows(trace.RoutingNull![0].cpu().mean([1]));     // (C, s)

        var summary = Summary(trace, routing, routingMean, readMean, share, chunk, task, input);
        return new NsmLayerReport(index, trace.RoutingKind!, chunk, [wa, wb],
            Arrays.Rows(routingMean.narrow(0, wa, wb - wa)), Arrays.Rows3(routing.narrow(0, wa, wb - wa).permute(1, 0, 2)),
            nullPerToken, nullPerSlot,
            Arrays.Rows(readMean.narrow(0, a, b - a)), Arrays.Rows3(reads.narrow(1, a, b - a)), Arrays.Vector(share.narrow(0, a, b - a)),
            Arrays.Rows(trajectory.norm(2)), Arrays.Rows((trajectory - previous).norm(2)), Arrays.Rows(unit.matmul(unit.t())),
            Arrays.Vector(trace.Importance.cpu()), trace.Active.cpu().data<bool>().ToArray(), Arrays.Vector(trace.WriteUsage.cpu()), Arrays.Vector(trace.ReadUsage.cpu()),
            summary);
    }

    private static LayerSummary Summary(NsmLayerTrace trace, Tensor routing, Tensor routingMean, Tensor readMean, Tensor share, long chunk, ITask task, InspectionInput input)
    {
        var written = (int)routing.shape[0];
        var real = input.PaddingMask is { } m ? m[0].data<bool>().ToArray() : Enumerable.Repeat(true, input.Length).ToArray();
        var routingRows = Arrays.Rows(routingMean);
        var readRows = Arrays.Rows(readMean);
        var realWritten = Enumerable.Range(0, written).Where(t => real[t]).ToArray();

        // Entropy of each routing distribution: per token and head (token router) or per chunk, slot and head (slot router).
        double entropy;
        if (trace.RoutingKind == "token")
        {
            var nulls = trace.RoutingNull![0].cpu();                                // (T, heads)
            var rows = realWritten.SelectMany(t => Enumerable.Range(0, (int)routing.shape[1]).Select(h => (t, h))).ToArray();
            var (perHead, nullRows) = (Arrays.Rows3(routing), Arrays.Rows(nulls));    // read out once: (T, heads, s), (T, heads)
            entropy = SlotMetrics.MeanRowEntropy(rows.Select(r => perHead[r.t][r.h]).ToArray(), rows.Select(r => nullRows[r.t][r.h]).ToArray());
        }
        else
        {
            var perSlot = routing.view(written / chunk, chunk, routing.shape[1], routing.shape[2]).permute(0, 2, 3, 1);   // (C, heads, s, c)
            var active = trace.Active.cpu().data<bool>().ToArray();
            var nulls = Arrays.Rows3(trace.RoutingNull![0].cpu());                  // (C, heads, s)
            var slotRows = Arrays.Rows3(perSlot.reshape(-1, perSlot.shape[2], perSlot.shape[3]));   // (C·heads, s, c)
            var rows = new List<float[]>();
            var rowNulls = new List<float>();
            for (var c = 0; c < perSlot.shape[0]; c++)
                for (var h = 0; h < perSlot.shape[1]; h++)
                    for (var j = 0; j < perSlot.shape[2]; j++)
                        if (active[j])
                        {
                            rows.Add(slotRows[c * perSlot.shape[1] + h][j]);
                            rowNulls.Add(nulls[c][h][j]);
                        }
            entropy = SlotMetrics.MeanRowEntropy(rows.ToArray(), rowNulls.ToArray());
        }

        var top = SlotMetrics.ArgMax(realWritten.Select(t => routingRows[t]).ToArray());
        double nmiToken = double.NaN, nmiOffset;
        if (input.TokenIds is { } ids) nmiToken = SlotMetrics.NormalisedMutualInformation(top, realWritten.Select(t => ids[t]).ToArray());
        nmiOffset = SlotMetrics.NormalisedMutualInformation(top, realWritten.Select(t => t % chunk).ToArray());
        var shares = Arrays.Vector(share);
        var meanShare = Enumerable.Range(0, input.Length).Where(t => real[t]).Average(t => (double)shares[t]);

        int? queries = null;
        double? keyHits = null, valueHits = null;
        if (task is MqarTask mqar && input.TokenIds is { } tokens && input.Scored is { } scored)
        {
            int count = 0, keyHit = 0, valueHit = 0;
            for (var t = 0; t < tokens.Length; t++)
            {
                if (!scored[t] || tokens[t] >= mqar.KeyVocab) continue;
                var p = Array.IndexOf(tokens, tokens[t]);
                // The pair must be in a chunk written before the query's chunk, or the query cannot read it.
                if (p < 0 || p >= t || p + 1 >= written || (p + 1) / chunk >= t / chunk) continue;
                count++;
                var readTop = Array.IndexOf(readRows[t], readRows[t].Max());
                if (readTop == Array.IndexOf(routingRows[p], routingRows[p].Max())) keyHit++;
                if (readTop == Array.IndexOf(routingRows[p + 1], routingRows[p + 1].Max())) valueHit++;
            }
            queries = count;
            keyHits = count > 0 ? (double)keyHit / count : null;
            valueHits = count > 0 ? (double)valueHit / count : null;
        }
        return new LayerSummary(entropy, Math.Exp(entropy), SlotMetrics.SlotsUsed(realWritten.Select(t => routingRows[t]).ToArray()),
            (int)trace.Active.sum().item<long>(), nmiToken, nmiOffset, meanShare, queries, keyHits, valueHits);
    }
}

/// <summary>Tensors to nested float arrays for JSON and charts.</summary>
internal static class Arrays
{
    public static float[] Vector(Tensor t) => t.contiguous().to(ScalarType.Float32).data<float>().ToArray();

    public static float[][] Rows(Tensor t) => Enumerable.Range(0, (int)t.shape[0]).Select(i => Vector(t[i])).ToArray();

    public static float[][][] Rows3(Tensor t) => Enumerable.Range(0, (int)t.shape[0]).Select(i => Rows(t[i])).ToArray();
}
