using System.Text.Json;

namespace Nsm.Core;

/// <summary>
/// How every JSON file the library reads is parsed: a key given twice is a
/// <see cref="JsonException"/> (System.Text.Json's default keeps both and throws an
/// ArgumentException only when the object is first read, which no reader expected).
/// </summary>
internal static class StrictJson
{
    /// <summary>Files the library writes (checkpoints, journals, safetensors headers).</summary>
    public static readonly JsonDocumentOptions Document = new() { AllowDuplicateProperties = false };

    /// <summary>Config files people write: also comments and trailing commas.</summary>
    public static readonly JsonDocumentOptions Config = new() { AllowDuplicateProperties = false, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
}
