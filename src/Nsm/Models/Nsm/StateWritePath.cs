using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Modules;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// The write of one NSM layer: output rows (B, n, d) of a chunk become the next slots. The rows
/// are normed, passed through the causal write convolution (which needs the k-1 rows before the
/// chunk, the history), given the embedding of their chunk offset and, with cross-layer states,
/// joined by the normed slots of the layer below; the <see cref="StateWriter"/> routes them to
/// the slots, the <see cref="StatePropagator"/> updates the slots, their RMS is clipped at 1 and
/// the slots communicate.
///
/// A plain class over modules and parameters that <see cref="NsmLayer"/> registers, not a module:
/// a module child would put its own prefix into every state-dict name (layers.N.write_norm.weight
/// must stay that). The layer makes one per call (<see cref="NsmLayer.WritePath"/>) because
/// Module.to() replaces the layer's own Parameter fields (write_conv, write_position) with new
/// objects; a longer-lived write path would go on using the old ones.
/// </summary>
internal sealed class StateWritePath
{
    private readonly RmsNorm norm;
    private readonly Parameter? position;
    private readonly Parameter? conv;
    private readonly RmsNorm? crossNorm;
    private readonly StateWriter writer;
    private readonly StatePropagator propagator;
    private readonly StateCommunication? communication;
    private readonly long dim;
    private readonly long chunk;

    /// <param name="norm">Norm of the rows before the write.</param>
    /// <param name="position">(c, d) embedding of a row's offset in its chunk, or null.</param>
    /// <param name="conv">(k, d) write-convolution kernel, row i weighing the row i steps back, or null (k = 1).</param>
    /// <param name="crossNorm">Norm of the lower layer's slots, or null without cross-layer states.</param>
    /// <param name="writer">The router.</param>
    /// <param name="propagator">The slot update rule.</param>
    /// <param name="communication">Slot-to-slot communication, or null.</param>
    /// <param name="dim">Model width d.</param>
    /// <param name="chunk">Chunk length c.</param>
    public StateWritePath(RmsNorm norm, Parameter? position, Parameter? conv, RmsNorm? crossNorm, StateWriter writer, StatePropagator propagator, StateCommunication? communication, long dim, long chunk)
    {
        this.norm = norm;
        this.position = position;
        this.conv = conv;
        this.crossNorm = crossNorm;
        this.writer = writer;
        this.propagator = propagator;
        this.communication = communication;
        this.dim = dim;
        this.chunk = chunk;
    }

    /// <summary>The router (candidate per slot and write mass).</summary>
    public StateWriter Writer => writer;

    /// <summary>Whether the propagator carries LSTM cells beside the slots.</summary>
    public bool HasCells => propagator.HasCells;

    /// <summary>The history before position 0: zeros (B, k-1, d), or null without a write convolution.</summary>
    public Tensor? InitialHistory(long batch, Device device) =>
        conv is null ? null : zeros([batch, conv.shape[0] - 1, dim], device: device);

    /// <summary>
    /// The history after a chunk was written: the last k-1 rows (B, k-1, d) of the history
    /// (B, k-1, d) followed by the chunk's rows (B, n, d); null without a write convolution.
    /// </summary>
    public Tensor? NextHistory(Tensor? history, Tensor chunkRows)
    {
        if (history is null) return null;
        // A full chunk holds them all when c >= k-1.
        var keep = history.shape[1];
        var recent = chunkRows.shape[1] >= keep ? chunkRows : cat([history, chunkRows], 1);
        return recent.narrow(1, recent.shape[1] - keep, keep);
    }

    /// <summary>
    /// Writes rows (B, n, d) whose chunk offsets start at firstOffset into the slots:
    /// route, propagate, clip the RMS, communicate. valid: (B, n) or null; history: the k-1 rows
    /// before (B, k-1, d) or null. A sample with no real row keeps its slots and cells exactly
    /// (padding never touches the state). Returns the new slots and cells and the per-slot
    /// write mass (B, s, d).
    /// </summary>
    public (Tensor Slots, Tensor? Cells, Tensor Mass) WriteChunk(Tensor rows, Tensor? valid, long firstOffset, Tensor slots, Tensor? cells, (Tensor Slots, Tensor Active)? lower, SlotContext context, Tensor? history)
    {
        using var scope = NewDisposeScope();
        var (inputs, inputValid) = WriteInputs(rows, valid, firstOffset, lower, history);
        var (candidate, mass) = writer.Write(inputs, inputValid, slots, context);
        var (newSlots, newCells) = Propagate(slots, cells, candidate, mass, context);
        if (valid is not null) (newSlots, newCells) = KeepUnwritten(valid.any(1), (newSlots, newCells), (slots, cells));
        return (newSlots.MoveToOuterDisposeScope(), newCells?.MoveToOuterDisposeScope(), mass.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The rows a write takes: Norm(rows) (B, n, d) passed through the causal write convolution
    /// (history: the k-1 rows before, (B, k-1, d)), plus the embedding of each row's chunk offset
    /// (firstOffset, firstOffset+1, ... mod c), followed by Norm of the lower layer's slots with
    /// cross-layer states. wholeChunks: the rows are whole chunks from a chunk boundary (n a
    /// multiple of c), so the offset embedding is added by broadcasting. Returns the inputs
    /// (B, n [+ s'], d) and their validity (B, n [+ s']) or null.
    /// </summary>
    public (Tensor Inputs, Tensor? Valid) WriteInputs(Tensor rows, Tensor? valid, long firstOffset, (Tensor Slots, Tensor Active)? lower, Tensor? history, bool wholeChunks = false)
    {
        using var scope = NewDisposeScope();
        var (b, n) = (rows.shape[0], rows.shape[1]);
        var inputs = norm.forward(rows);
        if (conv is not null)
        {
            var lags = conv.shape[0];
            var padded = cat([norm.forward(history!), inputs], 1);                               // (B, k-1 + n, d)
            inputs = inputs * conv[0];
            for (long i = 1; i < lags; i++)
                inputs = inputs + padded.narrow(1, lags - 1 - i, n) * conv[i];                   // token t-i
        }
        if (position is not null)
        {
            if (firstOffset == 0 && n == chunk)
            {
                inputs = inputs + position;                                                      // a whole chunk: offsets 0..c-1
            }
            else if (wholeChunks)
            {
                inputs = (inputs.reshape(b, n / chunk, chunk, dim) + position).view(b, n, dim);  // whole chunks: offsets 0..c-1 each
            }
            else
            {
                var offsets = arange(firstOffset, firstOffset + n, device: rows.device) % chunk; // (n)
                inputs = inputs + position.index_select(0, offsets);
            }
        }
        var inputValid = valid;
        if (lower is { } l && crossNorm is not null)
        {
            var s = l.Slots.shape[1];
            inputs = cat([inputs, crossNorm.forward(l.Slots)], 1);                               // (B, n + s', d)
            inputValid = cat([valid ?? ones([b, n], ScalarType.Bool, rows.device), l.Active.unsqueeze(0).expand(b, s)], 1);
        }
        return (inputs.MoveToOuterDisposeScope(), inputValid?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The write inputs of K whole chunks at once (the parallel form). rows: (B, K·c, d) the rows
    /// of chunks starting at a chunk boundary; valid: (B, K·c) or null; history: the k-1 rows
    /// before (B, k-1, d) or null; lowerSlots: the lower layer's slots after each of the K chunks
    /// (B, K, s', d) with its active mask (s'), or null. Returns the inputs of each chunk
    /// (B·K, c [+ s'], d) and their validity (B·K, c [+ s']) or null, chunk k of sample b at b·K + k.
    /// </summary>
    public (Tensor Inputs, Tensor? Valid) ChunkInputs(Tensor rows, Tensor? valid, Tensor? history, (Tensor Slots, Tensor Active)? lowerSlots)
    {
        using var scope = NewDisposeScope();
        var (b, n) = (rows.shape[0], rows.shape[1]);
        var k = n / chunk;
        var (inputs, inputValid) = WriteInputs(rows, valid, 0, null, history, wholeChunks: true); // (B, K·c, d)
        inputs = inputs.reshape(b * k, chunk, dim);                                              // (B·K, c, d)
        inputValid = inputValid?.reshape(b * k, chunk);
        if (lowerSlots is { } l && crossNorm is not null)
        {
            var s = l.Slots.shape[2];
            inputs = cat([inputs, crossNorm.forward(l.Slots).reshape(b * k, s, dim)], 1);         // (B·K, c + s', d)
            inputValid = cat([inputValid ?? ones([b * k, chunk], ScalarType.Bool, rows.device), l.Active.unsqueeze(0).expand(b * k, s)], 1);
        }
        return (inputs.MoveToOuterDisposeScope(), inputValid?.MoveToOuterDisposeScope());
    }

    /// <summary>The propagator's input-side terms of M writes at once: candidates and masses (M, s, d) -> (M, s, e).</summary>
    public Tensor InputTerms(Tensor candidate, Tensor mass) => propagator.InputTerms(candidate, mass);

    /// <summary>
    /// One step of the slot recurrence of the parallel form: the propagator's update from
    /// slots/cells (B, s, d) and the write's <see cref="InputTerms"/> (B, s, e), then the slots'
    /// RMS clipped at 1; no communication (the parallel form applies it to the read view,
    /// <see cref="Communicate"/>). written: (B) bool, false for a sample whose chunk was all
    /// padding (it keeps its slots and cells exactly), or null.
    /// </summary>
    public (Tensor Slots, Tensor? Cells) Recur(Tensor slots, Tensor? cells, Tensor terms, Tensor? written)
    {
        using var scope = NewDisposeScope();
        var (newSlots, newCells) = propagator.Step(slots, cells, terms);
        if (propagator.ClipsRms) newSlots = NsmOps.ClipRms(newSlots);
        if (written is not null) (newSlots, newCells) = KeepUnwritten(written, (newSlots, newCells), (slots, cells));
        return (newSlots.MoveToOuterDisposeScope(), newCells?.MoveToOuterDisposeScope());
    }

    /// <summary>The updated slots and cells where written (B) is true, the previous ones exactly where a sample's rows were all padding.</summary>
    private static (Tensor Slots, Tensor? Cells) KeepUnwritten(Tensor written, (Tensor Slots, Tensor? Cells) updated, (Tensor Slots, Tensor? Cells) previous)
    {
        var keep = written.view(-1, 1, 1);                                                       // (B, 1, 1)
        var slots = where(keep, updated.Slots, previous.Slots);
        var cells = updated.Cells is null ? null : where(keep, updated.Cells, previous.Cells!);
        return (slots, cells);
    }

    /// <summary>Slot-to-slot communication of slots (M, s, d), any number M of states at once; the slots themselves without communication.</summary>
    public Tensor Communicate(Tensor slots, SlotContext context) =>
        communication is null ? slots.alias() : communication.forward(slots, context);

    /// <summary>
    /// Applies a write: the propagator's update from slots/cells (B, s, d), candidate and mass
    /// (B, s, d), the slots' RMS clipped at 1, then (when communicate) communication among the
    /// active slots.
    /// </summary>
    public (Tensor Slots, Tensor? Cells) Propagate(Tensor slots, Tensor? cells, Tensor candidate, Tensor mass, SlotContext context, bool communicate = true)
    {
        using var scope = NewDisposeScope();
        var (newSlots, newCells) = propagator.Update(slots, cells, candidate, mass);
        if (propagator.ClipsRms) newSlots = NsmOps.ClipRms(newSlots);
        if (communicate && communication is not null) newSlots = communication.forward(newSlots, context);
        return (newSlots.MoveToOuterDisposeScope(), newCells?.MoveToOuterDisposeScope());
    }
}
