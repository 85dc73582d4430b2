using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Models.Nsm;
using Nsm.Ops;

namespace Nsm.Tests.Models.Nsm;

/// <summary>
/// A second, independent reference of the whole NSM model, built only on the op references
/// (<c>src/Nsm/Ops/*Reference.cs</c>, <see cref="ReferenceMath"/>) and the model's parameters
/// looked up by their state-dict names: no module of the model runs, no helper of the fast path
/// (NsmOps, the layer's write path, its router or propagator objects) is called. The library's
/// <see cref="NsmReference"/> drives the model's own modules token by token, so a bug inside a
/// router, a propagator, the communication or the write convolution would be shared by it; here
/// it is not.
///
/// Causal (<see cref="Forward"/>): per layer, the local window over the whole sequence at once
/// (the window depends only on the layer's input), then token by token the read of the slots of
/// the last complete chunk, the two residual blocks, and at every chunk boundary the write of
/// the chunk's rows (the outputs, or the inputs with write_source = "input", whose tokens read
/// the communicated view of the slots instead). Non-causal (<see cref="Encode"/>): every token
/// written at once from the initial slots, then each token reads the updated slots jointly with a
/// dense bidirectional window mask, optionally with padding. Both cover every option of the NSM
/// layer except the external memory and hybrid attention layers, which have their own tests.
/// </summary>
internal sealed class NsmOpsModelReference
{
    private readonly ModelConfig config;
    private readonly Dictionary<string, Tensor> weights;

    /// <param name="model">The model whose parameters (and slot masks) are used, as they are now.</param>
    /// <param name="config">The model settings it was built from.</param>
    public NsmOpsModelReference(NsmModel model, ModelConfig config)
    {
        if (config.Nsm.MemoryRows > 0) throw new ArgumentException("this reference covers NSM layers without external memory");
        if (config.Nsm.LayerPattern.Length > 0) throw new ArgumentException("this reference covers stacks of NSM layers only");
        this.config = config;
        weights = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
            .Concat(model.named_buffers().Select(b => (b.name, b.buffer)))
            .ToDictionary(p => p.Item1, p => p.Item2);
    }

    private long D => config.DModel;
    private long Heads => config.NumHeads;
    private long Chunk => config.Nsm.ChunkSize;
    private long Window => config.Nsm.Window;

    /// <summary>tokens (B, N) int64 -> per-token logits (B, N, C) of the causal model.</summary>
    public Tensor Forward(Tensor tokens)
    {
        var x = Embed(tokens);                                                              // (B, N, d)
        List<Tensor>? lowerChunkSlots = null;
        for (var i = 0; i < config.NumLayers; i++)
        {
            var (y, chunkSlots) = CausalLayer($"layers.{i}.", x, config.Nsm.CrossLayerStates && i > 0 ? (lowerChunkSlots!, W($"layers.{i - 1}.manager.active")) : null);
            x = y;
            lowerChunkSlots = chunkSlots;
        }
        return PerToken(ReferenceMath.RmsNorm(x, W("norm_f.weight")));
    }

    /// <summary>
    /// tokens (B, N) int64, valid (B, N) bool or null (each sample with a real token) -> the
    /// non-causal model's output: per-token logits (B, N, C) or class logits (B, C).
    /// </summary>
    public Tensor Encode(Tensor tokens, Tensor? valid, bool classify)
    {
        var x = Embed(tokens);
        Tensor? slots = null;
        Tensor? lowerActive = null;
        for (var i = 0; i < config.NumLayers; i++)
        {
            var lower = config.Nsm.CrossLayerStates && slots is not null ? (slots, lowerActive!) : ((Tensor, Tensor)?)null;
            (x, slots) = EncodeLayer($"layers.{i}.", x, valid, lower);
            lowerActive = W($"layers.{i}.manager.active");
        }
        var normed = ReferenceMath.RmsNorm(x, W("norm_f.weight"));                          // (B, N, d)
        if (!classify) return PerToken(normed);
        var weight = valid is null ? ones([x.shape[0], x.shape[1], 1]) : valid.to(ScalarType.Float32).unsqueeze(-1);
        var pooledTokens = (normed * weight).sum(1) / weight.sum(1);                        // (B, d)
        return ReferenceMath.Affine(cat([pooledTokens, PoolSlots(slots!, lowerActive!)], -1), W("head.cls_head.weight"), W("head.cls_head.bias"));
    }

    /// <summary>One causal layer. x: (B, N, d). Returns (B, N, d) and the slots after each complete chunk (as the layer above reads them).</summary>
    private (Tensor Output, List<Tensor> ChunkSlots) CausalLayer(string p, Tensor x, (List<Tensor> Slots, Tensor Active)? lower)
    {
        var (b, n) = (x.shape[0], x.shape[1]);
        var fromInput = config.Nsm.WriteSource == NsmWriteSource.Input;
        var h = ReferenceMath.RmsNorm(x, W(p + "attn_norm.weight"));                        // (B, N, d)
        var q = SplitHeads(ReferenceMath.Affine(h, W(p + "q_proj.weight")));               // (B, heads, N, hd)
        var local = LocalRead(p, h, q, null, causal: true);

        var slots = InitialSlots(p, b);                                                     // (B, s, d)
        var cells = config.Nsm.Propagator == NsmPropagator.Lstm ? zeros_like(slots) : null;
        var outputs = new List<Tensor>();
        var written = new List<Tensor>();                                                   // the rows writes take, (B, d) each
        var chunkSlots = new List<Tensor>();
        for (long t = 0; t < n; t++)
        {
            var readSlots = fromInput ? Communicate(p, slots) : slots;
            var slotRead = SlotRead(p, q.narrow(2, t, 1), readSlots);
            var localT = local is { } l ? (l.Output.narrow(2, t, 1), l.LogSumExp.narrow(2, t, 1)) : ((Tensor, Tensor)?)null;
            var yt = Blocks(p, x.narrow(1, t, 1), h.narrow(1, t, 1), localT, slotRead);    // (B, 1, d)
            outputs.Add(yt);
            written.Add((fromInput ? x.narrow(1, t, 1) : yt).squeeze(1));

            if ((t + 1) % Chunk != 0) continue;
            var start = t + 1 - Chunk;
            var rows = stack(written.GetRange((int)start, (int)Chunk), 1);                  // (B, c, d)
            (Tensor, Tensor)? lowerChunk = lower is { } lw ? (lw.Slots[chunkSlots.Count], lw.Active) : null;
            (slots, cells) = Write(p, rows, null, History(written, start), slots, cells, lowerChunk, communicate: !fromInput);
            chunkSlots.Add(fromInput ? Communicate(p, slots) : slots);
        }
        return (cat(outputs, 1), chunkSlots);
    }

    /// <summary>One non-causal layer: the write of all rows, then every token's read of the result. Returns (B, N, d) and the slots (B, s, d).</summary>
    private (Tensor Output, Tensor Slots) EncodeLayer(string p, Tensor x, Tensor? valid, (Tensor Slots, Tensor Active)? lower)
    {
        var b = x.shape[0];
        var initial = InitialSlots(p, b);
        var cells = config.Nsm.Propagator == NsmPropagator.Lstm ? zeros_like(initial) : null;
        var history = config.Nsm.WriteConv > 1 ? zeros([b, config.Nsm.WriteConv - 1, D]) : null;
        var (slots, _) = Write(p, x, valid, history, initial, cells, lower, communicate: true);
        var h = ReferenceMath.RmsNorm(x, W(p + "attn_norm.weight"));
        var q = SplitHeads(ReferenceMath.Affine(h, W(p + "q_proj.weight")));
        var local = LocalRead(p, h, q, valid, causal: false);
        return (Blocks(p, x, h, local, SlotRead(p, q, slots)), slots);
    }

    /// <summary>
    /// The local window of every token: rotary positions 0.. on queries and keys, then the dense
    /// windowed-attention reference. Returns outputs (B, heads, N, hd) and log-normalisers (B, heads, N), or null without local attention.
    /// </summary>
    private (Tensor Output, Tensor LogSumExp)? LocalRead(string p, Tensor h, Tensor q, Tensor? valid, bool causal)
    {
        if (!config.Nsm.LocalAttention) return null;
        var kvWeight = W(p + "local.kv_proj.weight");                                       // (2d, d): keys, then values
        var keys = SplitHeads(ReferenceMath.Affine(h, kvWeight.narrow(0, 0, D)));
        var values = SplitHeads(ReferenceMath.Affine(h, kvWeight.narrow(0, D, D)));
        return WindowedAttentionReference.Attend(Rotate(q), Rotate(keys), values, valid, Chunk, Window, causal);
    }

    /// <summary>The slot read of queries (B, heads, n, hd) over slots (B, s, d): outputs (B, heads, n, hd) and log-normalisers (B, heads, n).</summary>
    private (Tensor Output, Tensor LogSumExp) SlotRead(string p, Tensor queries, Tensor slots)
    {
        var (output, lse, _) = SlotReadReference.Read(queries, slots, W(p + "state_read.slot_norm.weight"), W(p + "state_read.kv_proj.weight"),
            W(p + "manager.importance"), W(p + "manager.active"));
        return (output, lse);
    }

    /// <summary>
    /// x + W_o·Fuse(local, slots), then + SwiGLU(Norm(·)). Joint fusion: one softmax over both key
    /// sets, o = (e^lse_l·o_l + e^lse_s·o_s) / (e^lse_l + e^lse_s); gated: g = σ(W_g·h + b),
    /// o = g·o_l + (1 - g)·o_s. x, h: (B, n, d); reads (B, heads, n, hd) with (B, heads, n).
    /// </summary>
    private Tensor Blocks(string p, Tensor x, Tensor h, (Tensor Output, Tensor LogSumExp)? local, (Tensor Output, Tensor LogSumExp) slots)
    {
        Tensor fused;
        if (local is not { } l)
        {
            fused = slots.Output;
        }
        else if (config.Nsm.Fusion == NsmFusion.Joint)
        {
            var top = maximum(l.LogSumExp, slots.LogSumExp).detach();
            var (wl, ws) = ((l.LogSumExp - top).exp().unsqueeze(-1), (slots.LogSumExp - top).exp().unsqueeze(-1)); // (B, heads, n, 1)
            fused = (wl * l.Output + ws * slots.Output) / (wl + ws);
        }
        else
        {
            var gate = SplitHeads(ReferenceMath.Logistic(ReferenceMath.Affine(h, W(p + "fusion.gate_proj.weight"), W(p + "fusion.gate_proj.bias"))));
            fused = gate * l.Output + (1 - gate) * slots.Output;
        }
        var y = x + ReferenceMath.Affine(MergeHeads(fused), W(p + "out_proj.weight"));
        return y + SwiGlu(ReferenceMath.RmsNorm(y, W(p + "ffn_norm.weight")), p + "ffn.");
    }

    /// <summary>
    /// One write of rows (B, n, d) from chunk offset 0: the write-convolution reference, the
    /// lower layer's normed slots appended with cross-layer states, the router reference, the
    /// propagator reference, the RMS clipped at 1 (all rules but decay), then, when communicate,
    /// the communication reference. history: the k-1 raw rows before (B, k-1, d) or null.
    /// </summary>
    private (Tensor Slots, Tensor? Cells) Write(string p, Tensor rows, Tensor? valid, Tensor? history, Tensor slots, Tensor? cells, (Tensor Slots, Tensor Active)? lower, bool communicate)
    {
        var (b, n) = (rows.shape[0], rows.shape[1]);
        var inputs = WriteConvolutionReference.Inputs(rows, history, W(p + "write_norm.weight"), Optional(p + "write_conv"), Optional(p + "write_position"), 0);
        var inputValid = valid;
        if (lower is { } l)
        {
            inputs = cat([inputs, ReferenceMath.RmsNorm(l.Slots, W(p + "cross_norm.weight"))], 1);   // (B, n + s', d)
            inputValid = cat([valid ?? ones([b, n], ScalarType.Bool), l.Active.unsqueeze(0).expand(b, -1)], 1);
        }
        var (importance, active) = (W(p + "manager.importance"), W(p + "manager.active"));
        var (candidate, mass) = config.Nsm.Router == NsmRouter.Token
            ? RoutingReference.TokenWrite(inputs, inputValid, W(p + "writer.route_proj.weight"), W(p + "writer.value_proj.weight"), Optional(p + "writer.null_logit"),
                importance, active, config.Nsm.RouterHeads, config.Nsm.RouterTemperature, config.Nsm.RouterTopK, config.Nsm.RouterFloor)
            : RoutingReference.SlotWrite(inputs, inputValid, slots, W(p + "writer.slot_norm.weight"), W(p + "writer.query_proj.weight"), W(p + "writer.kv_proj.weight"),
                Optional(p + "writer.null_logit"), importance, active, config.Nsm.RouterHeads);

        var prop = p + "propagator.";
        Tensor next;
        Tensor? nextCells = null;
        switch (config.Nsm.Propagator)
        {
            case NsmPropagator.Gru:
                next = PropagatorReference.Gru(slots, candidate, mass, W(prop + "gates.weight"), W(prop + "gates.bias"), W(prop + "candidate_proj.weight"), W(prop + "candidate_proj.bias"));
                break;
            case NsmPropagator.Lstm:
                (next, nextCells) = PropagatorReference.Lstm(slots, cells!, candidate, mass, W(prop + "gates.weight"), W(prop + "gates.bias"));
                break;
            case NsmPropagator.Linear:
                next = PropagatorReference.Linear(slots, candidate, mass, W(prop + "forget_proj.weight"), W(prop + "forget_proj.bias"));
                break;
            default:
                next = PropagatorReference.Decay(slots, candidate, mass, W(prop + "forget_proj.weight"), W(prop + "forget_proj.bias"));
                break;
        }
        if (config.Nsm.Propagator != NsmPropagator.Decay)
            next = next / (next * next).mean([-1], keepdim: true).add(1e-6).sqrt().clamp_min(1.0);  // RMS clipped at 1
        if (communicate) next = Communicate(p, next);
        if (valid is not null)
        {
            // A sample with no real row keeps its state exactly.
            var any = valid.any(1).view(b, 1, 1);
            next = where(any, next, slots);
            if (nextCells is not null) nextCells = where(any, nextCells, cells!);
        }
        return (next, nextCells);
    }

    /// <summary>The communication reference over slots (B, s, d); the slots themselves with communication off.</summary>
    private Tensor Communicate(string p, Tensor slots)
    {
        if (config.Nsm.Communication == NsmCommunication.None) return slots;
        var c = p + "communication.";
        var ffn = Optional(c + "ffn_norm.weight") is { } norm
            ? new CommunicationReference.FeedForward(norm, W(c + "ffn.w1.weight"), W(c + "ffn.w3.weight"), W(c + "ffn.w2.weight"), W(c + "ffn_scale"))
            : null;
        var topK = config.Nsm.Communication == NsmCommunication.TopK ? config.Nsm.CommunicationTopK : 0;
        return CommunicationReference.Forward(slots, W(c + "attn_norm.weight"), W(c + "qkv_proj.weight"), W(c + "out_proj.weight"), W(c + "attn_scale"), ffn,
            W(p + "manager.active"), Heads, topK);
    }

    /// <summary>S_0 with its RMS clipped at 1, for every sample: (B, s, d).</summary>
    private Tensor InitialSlots(string p, long batch)
    {
        var init = W(p + "manager.state_init");                                             // (s, d)
        var clipped = init / (init * init).mean([-1], keepdim: true).add(1e-6).sqrt().clamp_min(1.0);
        return clipped.unsqueeze(0).expand(batch, -1, -1);
    }

    /// <summary>The k-1 written rows (B, k-1, d) before position start, zeros before position 0; null without a write convolution.</summary>
    private Tensor? History(List<Tensor> written, long start)
    {
        var lags = config.Nsm.WriteConv - 1;
        if (lags <= 0) return null;
        var rows = new List<Tensor>();
        for (var i = start - lags; i < start; i++) rows.Add(i < 0 ? zeros_like(written[0]) : written[(int)i]);
        return stack(rows, 1);
    }

    /// <summary>Attention pooling of the last layer's slots (B, s, d) by the learned query over the active ones: (B, d).</summary>
    private Tensor PoolSlots(Tensor slots, Tensor active)
    {
        var normed = ReferenceMath.RmsNorm(slots, W("slot_pool.slot_norm.weight"));          // (B, s, d)
        var logits = normed.matmul(W("slot_pool.pool_query")) / Math.Sqrt(D);               // (B, s)
        var (attention, _) = ReferenceMath.MaskedSoftmax(logits, active.view(1, -1));
        return attention.unsqueeze(1).matmul(normed).squeeze(1);
    }

    /// <summary>silu(x·W_1ᵀ) ⊙ (x·W_3ᵀ) · W_2ᵀ with the weights under prefix: (..., d) -> (..., d).</summary>
    private Tensor SwiGlu(Tensor x, string prefix)
    {
        var a = ReferenceMath.Affine(x, W(prefix + "w1.weight"));
        return ReferenceMath.Affine(a * ReferenceMath.Logistic(a) * ReferenceMath.Affine(x, W(prefix + "w3.weight")), W(prefix + "w2.weight"));
    }

    /// <summary>
    /// Rotary positions 0..n-1 on x (B, heads, n, hd), half-split pairs (i, i + hd/2) turned by
    /// the angle pos·base^(-i/(hd/2)); the angles are computed in double precision on the host.
    /// </summary>
    private Tensor Rotate(Tensor x)
    {
        var (n, hd) = (x.shape[2], x.shape[3]);
        var half = hd / 2;
        var cos = new float[n * half];
        var sin = new float[n * half];
        for (long t = 0; t < n; t++)
            for (long i = 0; i < half; i++)
            {
                var angle = t * Math.Pow(config.RopeBase, -(double)i / half);
                cos[t * half + i] = (float)Math.Cos(angle);
                sin[t * half + i] = (float)Math.Sin(angle);
            }
        var c = tensor(cos).view(n, half);
        var s = tensor(sin).view(n, half);
        var (x1, x2) = (x.narrow(-1, 0, half), x.narrow(-1, half, half));
        return cat([x1 * c - x2 * s, x1 * s + x2 * c], -1);
    }

    /// <summary>Token ids (B, N) -> rows of the embedding table (B, N, d).</summary>
    private Tensor Embed(Tensor tokens) => W("embed.tok_emb.weight").index_select(0, tokens.flatten()).view(tokens.shape[0], tokens.shape[1], D);

    /// <summary>(B, N, d) -> logits (B, N, C) through the output head or the tied embedding.</summary>
    private Tensor PerToken(Tensor x) => ReferenceMath.Affine(x, Optional("head.lm_head.weight") ?? W("embed.tok_emb.weight"));

    /// <summary>(B, n, d) -> (B, heads, n, hd): head k takes channels k·hd .. (k+1)·hd - 1.</summary>
    private Tensor SplitHeads(Tensor x) => x.view(x.shape[0], x.shape[1], Heads, D / Heads).transpose(1, 2);

    /// <summary>(B, heads, n, hd) -> (B, n, d).</summary>
    private Tensor MergeHeads(Tensor x) => x.transpose(1, 2).reshape(x.shape[0], x.shape[2], D);

    private Tensor W(string name) => weights.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"the model has no parameter or buffer '{name}'");

    private Tensor? Optional(string name) => weights.GetValueOrDefault(name);
}
