using Nsm.Core;

namespace Nsm.Tests.Core;

public sealed class SpellingTests
{
    [Theory]
    [InlineData("d_model", "d_model", 0)]
    [InlineData("d_modle", "d_model", 1)]
    [InlineData("trian", "train", 1)]
    [InlineData("chekpoint", "checkpoint", 1)]
    [InlineData("", "abc", 3)]
    [InlineData("kitten", "sitting", 3)]
    public void DistanceCountsInsertionsDeletionsSubstitutionsAndSwaps(string a, string b, int expected)
    {
        Assert.Equal(expected, Spelling.Distance(a, b));
        Assert.Equal(expected, Spelling.Distance(b, a));
    }

    [Theory]
    [InlineData("d_modle", "d_model")]
    [InlineData("num_layres", "num_layers")]
    [InlineData("TRAIN", "train")]
    [InlineData("evl", "eval")]
    public void ClosestFindsTheIntendedName(string word, string expected) =>
        Assert.Equal(expected, Spelling.Closest(word, ["d_model", "num_layers", "num_heads", "train", "eval", "generate"]));

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("x")]
    [InlineData("d_model")]
    public void NothingIsSuggestedForFarOffOrExactWords(string word) =>
        Assert.Null(Spelling.Closest(word, ["d_model", "num_layers", "train"]));

    [Fact]
    public void DidYouMeanIsAPlainSeparatorWithoutASuggestion()
    {
        Assert.Equal("; did you mean 'model.d_model'? ", Spelling.DidYouMean("d_modle", ["d_model"], "model."));
        Assert.Equal("; ", Spelling.DidYouMean("zzz", ["d_model"]));
    }
}
