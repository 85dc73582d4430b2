using static TorchSharp.torch;
using Nsm.Benchmarks;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data.Text;
using Nsm.Tasks;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Data;

public sealed class TextDataTests
{
    static TaskConfig Config(params string[] overrides) => ConfigLoader.FromOverrides(overrides).Task;

    const string Verse = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n";

    [Fact]
    public void CharLmSplitsNinetyTenWithTheTrainingAlphabet()
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("input.txt");
        // 1000 characters of training text; the held-out tail holds a character ('~') never seen in training.
        var text = string.Concat(Enumerable.Repeat(Verse, 20))[..900] + string.Concat(Enumerable.Repeat("speak~ ", 20))[..100];
        Fixtures.WriteText(path, text);
        var task = TextTasks.CharLm(Config("task.name=char_lm", $"task.data_path={path}", "task.seq_len=16"), seed: 1);
        var alphabet = new string(text[..900].Distinct().Order().ToArray()) + "\uFFFD";
        Assert.Equal(alphabet, ((CharTokenizer)task.Tokenizer).Alphabet);
        Assert.Equal(900, task.TrainTokens);
        Assert.Equal(100, task.EvalTokens);
        Assert.Equal(6, task.EvalWindows);                          // (100 - 1) / 16
        using var scope = NewDisposeScope();
        var batch = task.TrainBatch(5, 4, CPU);
        Assert.Equal([4L, 16], batch.Inputs.shape);
        for (var i = 0; i < 4; i++)
        {
            var input = task.Tokenizer.Decode(batch.Inputs[i].data<long>().ToArray());
            var target = task.Tokenizer.Decode(batch.Targets[i].data<long>().ToArray());
            Assert.Equal(input[1..], target[..^1]);                 // targets are inputs shifted by one
            Assert.Contains(input + target[^1], text[..900]);       // a window of the training text
        }
        var held = string.Concat(task.EvalBatches(4, CPU).SelectMany(b =>
            Enumerable.Range(0, (int)b.Size).Select(i => task.Tokenizer.Decode(b.Inputs[i].data<long>().ToArray()))));
        Assert.Equal(text[900..996].Replace('~', '\uFFFD'), held);  // consecutive windows of the held-out text
        // Character level: bits per character are bits per token.
        Assert.Equal(2.0 / Math.Log(2), task.BitsPerCharacter(2.0), 12);
    }

    [Fact]
    public void CharLmErrorsNameTheFile()
    {
        using var dir = TestConfigs.TempDir();
        var e = Assert.Throws<ConfigException>(() => TextTasks.CharLm(Config($"task.data_path={dir.Sub("missing.txt")}"), 1));
        Assert.Contains("missing.txt does not exist", e.Message);
        var binary = dir.Sub("binary.txt");
        File.WriteAllBytes(binary, [0x41, 0x42, 0xC3, 0x28, 0x41]);
        var bad = Assert.Throws<InvalidDataException>(() => TextTasks.CharLm(Config($"task.data_path={binary}"), 1));
        Assert.Equal($"{binary}: not UTF-8 text (invalid bytes at offset 2)", bad.Message);
        var small = dir.Sub("small.txt");
        Fixtures.WriteText(small, Verse);
        e = Assert.Throws<ConfigException>(() => TextTasks.CharLm(Config($"task.data_path={small}", "task.seq_len=500"), 1));
        Assert.Contains("'task.seq_len' = 500", e.Message);
    }

    static void WriteWikiText(string folder)
    {
        Directory.CreateDirectory(folder);
        var article = " = Valkyria Chronicles III = \n\n Senjō no Valkyria 3 : <unk> Chronicles is a tactical role @-@ playing video game . \n";
        Fixtures.WriteText(Path.Combine(folder, "wiki.train.tokens"), string.Concat(Enumerable.Repeat(article, 30)));
        Fixtures.WriteText(Path.Combine(folder, "wiki.valid.tokens"), article + " The zebra quokka entry . \n");
        Fixtures.WriteText(Path.Combine(folder, "wiki.test.tokens"), string.Concat(Enumerable.Repeat(article, 3)));
    }

    [Fact]
    public void TheShakespearePresetsReadTheRepositoryDataPathAndAMissingCopySaysWhereToGetIt()
    {
        foreach (var kind in new[] { "nsm", "transformer", "lstm" })
        {
            var task = ConfigLoader.LoadPreset($"shakespeare-{kind}").Task;
            Assert.Equal("data/tinyshakespeare/input.txt", task.DataPath);
            Assert.Equal(0.1, task.ValidationFraction);            // nanoGPT: first 90% trains, last 10% validates
        }
        using var dir = TestConfigs.TempDir();
        var missing = Path.Combine(dir.Path, "data", "tinyshakespeare", "input.txt");
        var e = Assert.Throws<ConfigException>(() => TextTasks.CharLm(Config($"task.data_path={missing}"), 1));
        Assert.Contains(missing, e.Message);
        Assert.Contains("nanoGPT", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void WikiTextUsesCompactSubwordIdsAndCountsCharacters()
    {
        using var dir = TestConfigs.TempDir();
        WriteWikiText(dir.Path);
        var task = TextTasks.WikiText(Config("task.name=wikitext", $"task.data_path={dir.Path}", "task.seq_len=8", "task.eval_split=validation"), seed: 1);
        var vocabulary = (SubwordVocabulary)task.Tokenizer;
        var trainText = File.ReadAllText(Path.Combine(dir.Path, "wiki.train.tokens"));
        var distinct = SubwordVocabulary.EncodeOriginal(trainText.TrimEnd('\n').Split('\n')).Distinct().Count();
        Assert.Equal(distinct + 1, vocabulary.VocabSize);
        Assert.Equal(vocabulary.VocabSize, task.Spec.VocabSize);
        // Text made only of training tokens survives the round trip through the compact ids.
        var line = " Senjō no Valkyria 3 : <unk> Chronicles is a tactical role @-@ playing video game . \n";
        Assert.Equal(line, vocabulary.Decode(vocabulary.Encode(line)));
        // The validation file has words the training text lacks: they map to the unknown id.
        using var scope = NewDisposeScope();
        var held = task.EvalBatches(64, CPU).Select(b => b.Targets).ToList();
        Assert.Contains(vocabulary.Unknown, cat(held, 0).flatten().data<long>().ToArray());
        var validText = File.ReadAllText(Path.Combine(dir.Path, "wiki.valid.tokens"));
        Assert.Equal((double)validText.Length / task.EvalTokens, task.CharactersPerToken, 9);
        Assert.Equal(3.0 / task.CharactersPerToken / Math.Log(2), task.BitsPerCharacter(3.0), 9);
    }

    [Fact]
    public void WikiTextFullVocabularyKeepsOriginalIds()
    {
        using var dir = TestConfigs.TempDir();
        WriteWikiText(dir.Path);
        var task = TextTasks.WikiText(Config("task.name=wikitext", $"task.data_path={dir.Path}", "task.seq_len=8", "task.compact_vocab=false"), seed: 1);
        Assert.Equal(100_277, task.Spec.VocabSize);
        Assert.Equal("hello world", task.Tokenizer.Decode(task.Tokenizer.Encode("hello world")));
        var e = Assert.Throws<ConfigException>(() => TextTasks.WikiText(Config($"task.data_path={dir.Sub("none")}"), 1));
        Assert.Contains("is not a folder", e.Message);
        File.Delete(Path.Combine(dir.Path, "wiki.test.tokens"));
        e = Assert.Throws<ConfigException>(() => TextTasks.WikiText(Config($"task.data_path={dir.Path}", "task.seq_len=8"), 1));
        Assert.Contains("wiki.test.tokens (or .raw) does not exist", e.Message);
    }

    [Fact]
    public void TrainingSummaryReportsBitsPerCharacter()
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("input.txt");
        Fixtures.WriteText(path, string.Concat(Enumerable.Repeat(Verse, 10)));
        var config = TestConfigs.TinyCopy("task.name=char_lm", $"task.data_path={path}", "task.seq_len=16", "train.steps=2");
        var summary = new Trainer(config, dir.Sub("run")).Run()!;
        Assert.Equal(summary.Eval.BitsPerToken, summary.Eval.BitsPerCharacter!.Value, 9);
        Assert.Contains("\"bits_per_char\"", File.ReadAllText(Path.Combine(dir.Sub("run"), Trainer.SummaryFile)));
    }
}
