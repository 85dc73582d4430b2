using TorchSharp;
using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Training;

/// <summary>Turns a device name from the config into a torch device, with a clear error when it is unavailable.</summary>
public static class Devices
{
    public static Device Resolve(string name)
    {
        if (name == "cpu") return CPU;
        if (name == "cuda" || name.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new ConfigException($"'train.device' = \"{name}\" but CUDA is not available (this build uses the CPU libtorch; reference a CUDA libtorch package to train on a GPU)");
            return torch.device(name);
        }
        throw new ConfigException($"'train.device' = \"{name}\" is not a device; allowed: cpu, cuda, cuda:N");
    }
}
