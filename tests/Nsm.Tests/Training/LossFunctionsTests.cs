using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Training;

public sealed class LossFunctionsTests
{
    [Fact]
    public void LabelSmoothingMixesTheLabelWithAUniformTarget()
    {
        manual_seed(5);
        var logits = randn(6, 4);
        var labels = tensor(new long[] { 0, 3, 1, 1, 2, 0 });
        var batch = new Batch(zeros(6, 1, 1), labels);
        var logProbs = logits.log_softmax(-1);
        var plain = -logProbs.gather(1, labels.unsqueeze(1)).mean();
        var uniform = -logProbs.mean();                             // mean over rows and classes
        var (smoothed, correct, count) = LossFunctions.CrossEntropy(logits, batch, TaskOutput.Classification, labelSmoothing: 0.2);
        TensorAssert.Close(0.8 * plain + 0.2 * uniform, smoothed, what: "smoothed loss");
        TensorAssert.Close(plain, LossFunctions.CrossEntropy(logits, batch, TaskOutput.Classification).Loss, what: "plain loss");
        Assert.Equal(logits.argmax(-1).eq(labels).sum().item<long>(), correct);
        Assert.Equal(6, count);
        Assert.Throws<ArgumentOutOfRangeException>(() => LossFunctions.CrossEntropy(logits, batch, TaskOutput.Classification, labelSmoothing: 1));
    }
}
