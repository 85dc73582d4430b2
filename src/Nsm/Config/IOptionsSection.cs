using Nsm.Core;

namespace Nsm.Config;

/// <summary>The options of one model family, with the rules that tie its keys to each other and to the shared model keys.</summary>
public interface IOptionsSection
{
    /// <summary>
    /// Throws a one-line <see cref="ConfigException"/> naming the keys when the settings cannot build
    /// a model of this family (ranges are checked before, key by key). <paramref name="model"/> is
    /// the whole model section, for the shared keys (d_model, num_heads, ...).
    /// </summary>
    void Validate(ModelConfig model);
}
