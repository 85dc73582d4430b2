using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Models;

namespace Nsm.Training;

/// <summary>
/// Keeps AdamW's state in step with parameters whose slot rows moved (<see cref="SlotRemap"/>):
/// exp_avg and exp_avg_sq (and max_exp_avg_sq with amsgrad) of a remapped parameter move the same
/// way, a kept slot keeping its moments and a new slot starting at zero; the step count stays.
/// </summary>
public static class OptimizerSlots
{
    /// <summary>Applies remaps, in order, to the state of every remapped parameter the optimizer holds.</summary>
    public static void Remap(AdamW optimizer, IReadOnlyList<SlotRemap> remaps)
    {
        if (remaps.Count == 0) return;
        // state_dict().State lists one state per parameter, in the order of the groups' parameters.
        var parameters = optimizer.parameters().ToList();
        var states = optimizer.state_dict().State;
        var byHandle = new Dictionary<IntPtr, AdamW.State>();
        for (var i = 0; i < parameters.Count; i++) byHandle[parameters[i].Handle] = (AdamW.State)states[i];
        foreach (var remap in remaps)
        {
            // The optimizer keys its state by the tensor handle, which set_ (the in-place resize) keeps.
            if (!byHandle.TryGetValue(remap.Parameter.Handle, out var state)) continue;
            state.exp_avg = Move(state.exp_avg, remap);
            state.exp_avg_sq = Move(state.exp_avg_sq, remap);
            if (state.max_exp_avg_sq is not null) state.max_exp_avg_sq = Move(state.max_exp_avg_sq, remap);
        }
    }

    private static Tensor Move(Tensor moment, SlotRemap remap)
    {
        var moved = remap.Apply(moment).DetachFromDisposeScope();
        moment.Dispose();
        return moved;
    }
}
