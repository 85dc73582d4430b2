using System.Text.Json;
using Nsm.Core;
using Nsm.Training;

namespace Nsm.Tests.Core;

/// <summary>
/// A run whose evaluation loss is infinite (found by the fuzz test: char_lm on mutated text)
/// still writes a valid summary.json, with null where JSON has no number.
/// </summary>
public sealed class NonFiniteAsNullConverterTests
{
    [Fact]
    public void NonFiniteNumbersBecomeNullAndComeBackAsNaN()
    {
        var options = NonFiniteAsNullConverter.With(new JsonSerializerOptions());
        var summary = new EvalSummary(double.PositiveInfinity, null, double.NaN, 1.5, 3);
        var json = JsonSerializer.Serialize(summary, options);
        Assert.Equal("{\"loss\":null,\"accuracy\":null,\"perplexity\":null,\"bits_per_token\":1.5,\"count\":3}", json);
        var back = JsonSerializer.Deserialize<EvalSummary>(json, options)!;
        Assert.True(double.IsNaN(back.Loss));
        Assert.Equal(1.5, back.BitsPerToken);
    }
}
