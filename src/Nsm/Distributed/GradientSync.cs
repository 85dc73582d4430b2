using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Distributed;

/// <summary>
/// Data-parallel steps over a <see cref="Communicator"/>, as PyTorch DDP and Horovod do them:
/// rank 0's weights broadcast once, then per step one fused allreduce of all gradients.
/// </summary>
internal static class GradientSync
{
    /// <summary>Copies rank 0's parameter values to every rank (float32 parameters).</summary>
    public static void BroadcastParameters(Communicator comm, IReadOnlyList<Parameter> parameters)
    {
        if (comm.Size == 1) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flat = cat(parameters.Select(p => p.detach().reshape(-1).to(ScalarType.Float32).cpu()).ToList()).data<float>().ToArray();
        comm.Broadcast(flat, "broadcast of rank 0's initial weights");
        CopyInto(flat, parameters.Select(p => (Tensor)p).ToList());
    }

    /// <summary>
    /// Turns each rank's gradient of its own mean loss into the gradient of the global mean loss,
    /// the same on every rank. A rank's loss is the mean over its <paramref name="count"/> scored
    /// targets, so the global mean's gradient is sum_r count_r grad_r / sum_r count_r. One buffer
    /// holds count_r grad_r, count_r loss_r and count_r (Horovod's tensor fusion: one allreduce).
    /// Parameters without a gradient on this rank contribute zeros. The same allreduce averages
    /// <paramref name="statistics"/> (float32 buffers that the forward pass updates from its rows,
    /// such as the NSM's slot-usage EMAs), which ranks with equal row counts turn into the
    /// statistics of the global batch for any update linear in the batch mean.
    /// The same buffer carries each rank's <paramref name="votes"/> to end training.
    /// Returns the global mean loss (NaN if any rank's was not finite) and the votes of all ranks
    /// (a reason holds if it held on any). <paramref name="step"/> (1-based) names the allreduce in errors.
    /// </summary>
    public static (double Loss, StopVotes Stop) AllReduce(Communicator comm, IReadOnlyList<Parameter> parameters, IReadOnlyList<Tensor> statistics, double loss, long count, StopVotes votes, long step)
    {
        if (comm.Size == 1) return (loss, votes);
        using var scope = NewDisposeScope();
        var sizes = parameters.Select(p => p.numel()).ToArray();
        var total = sizes.Sum();
        var statisticsSize = statistics.Sum(t => t.numel());
        // (count_r grad_r) x total, count_r loss_r, count_r, time-up vote, cancel vote, statistics.
        var buffer = new float[total + 4 + statisticsSize];
        var statisticsAt = total + 4;
        if (statisticsSize > 0)
        {
            var values = cat(statistics.Select(t => t.detach().reshape(-1).cpu()).ToList()).data<float>().ToArray();
            Array.Copy(values, 0, buffer, statisticsAt, values.Length);
        }
        long offset = 0;
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].grad is { } grad)
            {
                var values = (grad.reshape(-1).to(ScalarType.Float32).cpu() * (float)count).data<float>().ToArray();
                Array.Copy(values, 0, buffer, offset, values.Length);
            }
            offset += sizes[i];
        }
        buffer[total] = double.IsFinite(loss) ? (float)(loss * count) : float.NaN;
        buffer[total + 1] = count;
        buffer[total + 2] = votes.TimeUp ? 1 : 0;
        buffer[total + 3] = votes.Cancelled ? 1 : 0;
        comm.AllReduceSum(buffer, $"gradient allreduce of step {step}");
        var globalCount = buffer[total + 1];
        for (var i = 0; i < total; i++) buffer[i] /= globalCount;
        CopyIntoGradients(buffer, parameters);
        if (statisticsSize > 0)
        {
            var mean = buffer.AsSpan((int)statisticsAt).ToArray();
            for (var i = 0; i < mean.Length; i++) mean[i] /= comm.Size;
            CopyInto(mean, statistics);
        }
        return (buffer[total] / globalCount, new StopVotes(buffer[total + 2] > 0, buffer[total + 3] > 0));
    }

    private static void CopyInto(float[] flat, IReadOnlyList<Tensor> targets)
    {
        using var noGrad = no_grad();
        long offset = 0;
        foreach (var t in targets)
        {
            var n = t.numel();
            using var slice = tensor(flat.AsSpan((int)offset, (int)n).ToArray()).reshape(t.shape).to(t.dtype).to(t.device);
            t.copy_(slice);
            offset += n;
        }
    }

    private static void CopyIntoGradients(float[] flat, IReadOnlyList<Parameter> parameters)
    {
        using var noGrad = no_grad();
        long offset = 0;
        foreach (var p in parameters)
        {
            var n = p.numel();
            if (p.grad is { } grad)
            {
                using var slice = tensor(flat.AsSpan((int)offset, (int)n).ToArray()).reshape(grad.shape).to(grad.dtype).to(grad.device);
                grad.copy_(slice);
            }
            offset += n;
        }
    }
}
