using Nsm.Config;
using Nsm.Core;
using Nsm.Data.Text;

namespace Nsm.Tasks;

/// <summary>Builds the text language-modelling tasks from configuration.</summary>
public static class TextTasks
{
    /// <summary>The rules of char_lm's keys.</summary>
    public static void ValidateCharLm(TaskConfig config)
    {
        if (config.ValidationFraction <= 0) throw new ConfigException("'task.validation_fraction' must be > 0 for char_lm (the held-out part of the text)");
    }

    /// <summary>
    /// char_lm: one token per character of any UTF-8 text file (Tiny Shakespeare format). The
    /// first 1 - validation_fraction of the text trains (nanoGPT: 90%), the rest is held out and
    /// serves as both evaluation splits. The vocabulary is the training text's characters in
    /// ordinal order; held-out characters outside it become U+FFFD, which then joins the vocabulary.
    /// </summary>
    public static LanguageModelTask CharLm(TaskConfig config, long seed)
    {
        var path = config.DataPath;
        if (!File.Exists(path) && Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) == "tinyshakespeare")
            throw new ConfigException($"'task.data_path': {path} does not exist; put Tiny Shakespeare there (the input.txt of char-rnn or nanoGPT, 1,115,394 bytes; build/link-shared-data.sh links ../shared/data/tinyshakespeare when the machine has it)");
        var text = TextFiles.ReadAll(path);
        ValidateCharLm(config);
        var split = (int)(text.Length * (1 - config.ValidationFraction));
        if (split < 2 || split >= text.Length) throw new InvalidDataException($"{path}: {text.Length} characters are too few to split into training and held-out text");
        var trainText = text[..split];
        var heldText = text[split..];
        var alphabet = new string(trainText.Distinct().Order().ToArray());
        if (heldText.Any(c => !alphabet.Contains(c)) && !alphabet.Contains('\uFFFD')) alphabet += '\uFFFD';
        var tokenizer = new CharTokenizer(alphabet);
        var train = tokenizer.Encode(trainText).Select(t => (int)t).ToArray();
        return new LanguageModelTask("char_lm", tokenizer, train, () =>
        {
            var known = heldText.Select(c => alphabet.Contains(c) ? c : '\uFFFD').ToArray();
            return (tokenizer.Encode(new string(known)).Select(t => (int)t).ToArray(), heldText.Length);
        }, config.SeqLen, seed, config.MaxEvalExamples);
    }

    /// <summary>
    /// wikitext: subword language modelling (cl100k_base BPE) on a folder in WikiText format:
    /// <c>wiki.train.tokens</c>, <c>wiki.valid.tokens</c>, <c>wiki.test.tokens</c> (or the
    /// <c>.raw</c> files). task.eval_split picks the test or validation file.
    /// </summary>
    public static LanguageModelTask WikiText(TaskConfig config, long seed)
    {
        var folder = config.DataPath;
        if (folder.Length == 0) throw new ConfigException("'task.data_path' must name a WikiText folder (wiki.train.tokens, wiki.valid.tokens, wiki.test.tokens)");
        if (!Directory.Exists(folder)) throw new ConfigException($"'task.data_path' = \"{folder}\" is not a folder (expected wiki.train.tokens, wiki.valid.tokens, wiki.test.tokens)");
        var trainPath = WikiFile(folder, "train");
        var evalPath = WikiFile(folder, config.EvalSplit == EvalSplit.Test ? "test" : "valid");
        var trainOriginal = SubwordVocabulary.EncodeOriginal(TextFiles.ReadLines(trainPath)).ToArray();
        if (trainOriginal.Length == 0) throw new InvalidDataException($"{trainPath}: empty");
        var vocabulary = config.CompactVocab ? SubwordVocabulary.Compact(trainOriginal) : SubwordVocabulary.Full();
        var train = trainOriginal.Select(vocabulary.Map).ToArray();
        return new LanguageModelTask("wikitext", vocabulary, train, () =>
        {
            long characters = 0;
            var lines = TextFiles.ReadLines(evalPath).Select(line => { characters += line.Length + 1; return line; });
            var tokens = SubwordVocabulary.EncodeOriginal(lines).Select(vocabulary.Map).ToArray();
            if (tokens.Length < 2) throw new InvalidDataException($"{evalPath}: too short to evaluate on");
            return (tokens, characters);
        }, config.SeqLen, seed, config.MaxEvalExamples);
    }

    private static string WikiFile(string folder, string split)
    {
        foreach (var ext in new[] { "tokens", "raw" })
        {
            var path = Path.Combine(folder, $"wiki.{split}.{ext}");
            if (File.Exists(path)) return path;
        }
        throw new ConfigException($"'task.data_path': {Path.Combine(folder, $"wiki.{split}.tokens")} (or .raw) does not exist");
    }
}
