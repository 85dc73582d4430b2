namespace Nsm.Core;

/// <summary>A configuration problem; the message is one line that names the key and the fix.</summary>
public sealed class ConfigException(string message) : Exception(message);
