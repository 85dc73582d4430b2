using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Modules;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// The external memory of the memory-augmented NSM (docs/design.md section 6): a Neural Turing
/// Machine memory per sample, M (B, m, w), with write and read heads driven by the slots.
///
/// Once per completed chunk k, after the slots S_k are written:
/// 1. each head pools the slots by attention with its own learned query, p_h = softmax(q_h ·
///    Norm(S_k)ᵀ / sqrt(d) + bias) · Norm(S_k), bias being the slots' importance and mask;
/// 2. a per-head projection of p_h gives the head's key, strength, gate, shift and sharpening
///    (and for write heads the erase and add vectors), see <see cref="NtmAddressing"/>;
/// 3. the write heads address M_{k-1} and write (erase, then add), giving M_k;
/// 4. the read heads address M_k and read r_k.
/// The tokens of chunk k+1 then read, jointly with the slots and the local window, m + R extra
/// rows: W_o·[M_k; r_k] (every memory row by content, and the read heads' vectors). A token never
/// reads a memory written from its own chunk, so the layer stays causal. Every step is
/// differentiable and per sample (batch independent).
/// </summary>
public sealed class NtmMemory : nn.Module
{
    private readonly Parameter memory_init;
    private readonly RmsNorm controller_norm;
    private readonly Parameter head_queries;
    private readonly Parameter write_proj;
    private readonly Parameter write_bias;
    private readonly Parameter? read_proj;
    private readonly Parameter? read_bias;
    private readonly Linear out_proj;

    private readonly long rows;
    private readonly long width;
    private readonly long writeHeads;
    private readonly long readHeads;
    private readonly long dim;

    // Per-head output layout of the projections: key (w), strength, gate, shift (3), sharpening;
    // write heads then erase (w) and add (w).
    private long AddressingWidth => width + 2 + NtmAddressing.ShiftCount + 1;

    /// <param name="dim">Slot width d.</param>
    /// <param name="rows">Memory rows m.</param>
    /// <param name="width">Memory width w.</param>
    /// <param name="writeHeads">Write heads W (writes per chunk).</param>
    /// <param name="readHeads">Read heads R (reads per chunk).</param>
    public NtmMemory(long dim, long rows, long width, long writeHeads, long readHeads) : base(nameof(NtmMemory))
    {
        if (rows < 1 || width < 1 || writeHeads < 1 || readHeads < 0)
            throw new ArgumentOutOfRangeException(nameof(rows), $"memory needs rows, width and write heads >= 1 and read heads >= 0; got {rows}, {width}, {writeHeads}, {readHeads}");
        (this.rows, this.width, this.writeHeads, this.readHeads, this.dim) = (rows, width, writeHeads, readHeads, dim);
        // Distinct random rows, so content addressing can tell rows apart before the first write.
        memory_init = nn.Parameter(randn(rows, width) * 0.5);
        controller_norm = new RmsNorm(dim);
        head_queries = nn.Parameter(randn(writeHeads + readHeads, dim) * 0.5);
        write_proj = nn.Parameter(randn(writeHeads, dim, AddressingWidth + 2 * width) * Math.Pow(dim, -0.5));
        write_bias = nn.Parameter(HeadBias(writeHeads, AddressingWidth + 2 * width));
        if (readHeads > 0)
        {
            read_proj = nn.Parameter(randn(readHeads, dim, AddressingWidth) * Math.Pow(dim, -0.5));
            read_bias = nn.Parameter(HeadBias(readHeads, AddressingWidth));
        }
        out_proj = nn.Linear(width, dim, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Memory rows m.</summary>
    public long Rows => rows;

    /// <summary>Memory width w.</summary>
    public long Width => width;

    /// <summary>Write heads W.</summary>
    public long WriteHeads => writeHeads;

    /// <summary>Read heads R.</summary>
    public long ReadHeads => readHeads;

    /// <summary>Rows the tokens read besides the slots: the m memory rows and the R read vectors.</summary>
    public long ReadRows => rows + readHeads;

    /// <summary>Bytes of one sample's memory state: the memory and every head's weighting, fp32.</summary>
    public long StateBytes => (rows * width + (writeHeads + readHeads) * rows) * sizeof(float);

    /// <summary>
    /// Biases that start every head with a sharp content focus (strength softplus(2) ≈ 2.1), a
    /// half-open gate, no preferred shift and sharpening 1 + softplus(0).
    /// </summary>
    private Tensor HeadBias(long heads, long outputs)
    {
        var bias = zeros(heads, outputs);
        bias[.., width] = 2.0;                                                          // strength
        return bias;
    }

    /// <summary>The memory before any chunk: the learned initial rows, every head focused on row 0.</summary>
    public NtmMemoryState InitialState(long batch)
    {
        var device = memory_init.device;
        var memory = memory_init.unsqueeze(0).expand(batch, rows, width).contiguous();
        var focus = nn.functional.one_hot(zeros([batch, 1], ScalarType.Int64, device), rows).to(memory.dtype);
        return new NtmMemoryState(memory, focus.expand(batch, writeHeads, rows).contiguous(), focus.expand(batch, readHeads, rows).contiguous());
    }

    /// <summary>
    /// One memory step after a chunk: the heads pool the slots (B, s, d) (logit bias (s) from the
    /// slot context), write, then read. written: (B) bool, false for a sample whose chunk was all
    /// padding (its memory and weightings stay as they were), or null. Returns the new state.
    /// </summary>
    public NtmMemoryState Step(NtmMemoryState state, Tensor slots, Tensor slotBias, Tensor? written)
    {
        using var scope = NewDisposeScope();
        var pooled = Pool(slots, slotBias);                                             // (B, W + R, d)
        var writeOut = Project(pooled.narrow(1, 0, writeHeads), write_proj, write_bias); // (B, W, addr + 2w)
        var writeWeights = NtmAddressing.Address(state.Memory, state.WriteWeights, Head(writeOut));
        var erase = writeOut.narrow(-1, AddressingWidth, width).sigmoid();
        var add = writeOut.narrow(-1, AddressingWidth + width, width).tanh();
        var memory = NtmAddressing.Write(state.Memory, writeWeights, erase, add);      // (B, m, w)
        var readWeights = state.ReadWeights;
        if (readHeads > 0)
        {
            var readOut = Project(pooled.narrow(1, writeHeads, readHeads), read_proj!, read_bias!);
            readWeights = NtmAddressing.Address(memory, state.ReadWeights, Head(readOut));
        }
        var next = new NtmMemoryState(memory, writeWeights, readWeights);
        if (written is not null) next = KeepUnwritten(written, next, state);
        return next.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// What the tokens read besides the slots: W_o·[M; r] (B, m + R, d), r = the read heads'
    /// vectors on the state's memory.
    /// </summary>
    public Tensor TokenRows(NtmMemoryState state)
    {
        using var scope = NewDisposeScope();
        var content = readHeads > 0 ? cat([state.Memory, NtmAddressing.Read(state.Memory, state.ReadWeights)], 1) : state.Memory;
        return out_proj.forward(content).MoveToOuterDisposeScope();
    }

    /// <summary>Attention pooling of Norm(slots) (B, s, d) by each head's query; bias (s). Returns (B, W + R, d).</summary>
    private Tensor Pool(Tensor slots, Tensor bias)
    {
        using var scope = NewDisposeScope();
        var normed = controller_norm.forward(slots);                                    // (B, s, d)
        var logits = head_queries.matmul(normed.transpose(1, 2)) / Math.Sqrt(dim) + bias; // (W + R, d) @ (B, d, s) -> (B, W + R, s)
        return logits.softmax(-1).matmul(normed).MoveToOuterDisposeScope();
    }

    /// <summary>Per-head projection: pooled (B, H, d), weight (H, d, o), bias (H, o) -> (B, H, o).</summary>
    private static Tensor Project(Tensor pooled, Tensor weight, Tensor bias) =>
        einsum("bhd,hdo->bho", pooled, weight) + bias;

    /// <summary>The addressing parameters from a projection's output (B, H, o) with the layout of <see cref="AddressingWidth"/>.</summary>
    private NtmHeadParameters Head(Tensor output) => new(
        Key: output.narrow(-1, 0, width),
        Strength: nn.functional.softplus(output.select(-1, width)),
        Gate: output.select(-1, width + 1).sigmoid(),
        Shift: output.narrow(-1, width + 2, NtmAddressing.ShiftCount).softmax(-1),
        Sharpening: 1 + nn.functional.softplus(output.select(-1, width + 2 + NtmAddressing.ShiftCount)));

    private static NtmMemoryState KeepUnwritten(Tensor written, NtmMemoryState updated, NtmMemoryState previous)
    {
        var keep = written.view(-1, 1, 1);                                              // (B, 1, 1)
        return new NtmMemoryState(where(keep, updated.Memory, previous.Memory), where(keep, updated.WriteWeights, previous.WriteWeights),
            where(keep, updated.ReadWeights, previous.ReadWeights));
    }
}

/// <summary>
/// The memory part of a layer's streaming state, per sample and of fixed size.
/// </summary>
/// <param name="Memory">(B, m, w): the memory after the last complete chunk.</param>
/// <param name="WriteWeights">(B, W, m): each write head's last weighting (interpolated with next time).</param>
/// <param name="ReadWeights">(B, R, m): each read head's last weighting; the tokens read with it.</param>
public sealed record NtmMemoryState(Tensor Memory, Tensor WriteWeights, Tensor ReadWeights)
{
    /// <summary>The state's tensors by their saved names (memory, memory_write_weights, memory_read_weights).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> Named()
    {
        yield return ("memory", Memory);
        yield return ("memory_write_weights", WriteWeights);
        yield return ("memory_read_weights", ReadWeights);
    }

    /// <summary>Moves every tensor to the enclosing dispose scope.</summary>
    public NtmMemoryState MoveToOuterDisposeScope()
    {
        Memory.MoveToOuterDisposeScope();
        WriteWeights.MoveToOuterDisposeScope();
        ReadWeights.MoveToOuterDisposeScope();
        return this;
    }
}
