using System.Text;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Data.Babi;

namespace Nsm.Tasks;

/// <summary>
/// bAbI in a haystack, as BABILong (Kuratov et al. 2024) builds it, in bytes: a generated bAbI story
/// (tasks 1-3, <see cref="BabiGenerator"/>) whose statements <c>[FACT] Mary moved to the bathroom.</c>
/// are written in order at random places over filler, and at the very end the question and its
/// answer word, <c>[QUERY] Where is Mary? bathroom</c>, whose bytes are the scored targets (exact
/// match of the whole word). The story is the statements before one of the generated story's
/// questions: the latest whose statements number at most <c>max_sentences</c> (a story whose first
/// question comes later is drawn again), so the story's size does not depend on <c>seq_len</c>.
/// The first statement sits at a depth drawn uniformly from [depth_min, depth_max] (0 = the first
/// token, 1 = the whole story packed as late as min_distance allows); the others follow at uniformly
/// random places between it and the end of the facts' range, which lies <c>min_distance</c> tokens
/// before the question, so no fact is inside the question's local window. The filler is a
/// contiguous stretch of a text file's bytes, or random lower-case letters and spaces (the story's
/// own alphabet) when no file is given; statements overwrite it. The example has <c>seq_len</c> tokens.
/// Token ids: bytes 0..255, FACT = 256, QUERY = 257.
/// </summary>
public sealed class BabiHaystackTask : SyntheticSequenceTask, IExactMatchTask
{
    public const long Fact = 256;
    public const long Query = 257;
    private const int Symbols = 258;

    /// <summary>Stories drawn before giving up on one whose first question comes within max_sentences statements.</summary>
    private const int MaxStoryDraws = 100_000;

    private readonly int babiTask;
    private readonly int maxStatements;
    private readonly int total;
    private readonly int minDistance;
    private readonly double depthMin;
    private readonly double depthMax;
    private readonly byte[]? filler;

    /// <summary>
    /// The fewest statements before a first question each task can have: task 1 asks after two
    /// moves, task 2 after a move and a pick-up, task 3 once an object has been carried from one
    /// place to another (a move, a pick-up, a move). Near that bound most stories of tasks 2 and 3
    /// ask later and are drawn again (task 3 within 3 statements: about 3 % of stories).
    /// </summary>
    public static int FewestStatements(int babiTask) => babiTask == 3 ? 3 : 2;

    /// <summary>The rules of babi-haystack's keys; one-line ConfigException naming them.</summary>
    public static void Validate(TaskConfig config)
    {
        if (config.BabiTask is < 1 or > 3)
            throw new ConfigException($"'task.babi_task' = {config.BabiTask}: babi-haystack generates bAbI tasks 1-3");
        if (config.DepthMin > config.DepthMax)
            throw new ConfigException($"'task.depth_min' = {config.DepthMin} must not exceed 'task.depth_max' = {config.DepthMax}");
        var fewest = FewestStatements(config.BabiTask);
        if (config.MaxSentences < fewest)
            throw new ConfigException($"'task.max_sentences' = {config.MaxSentences} is too few for babi-haystack task {config.BabiTask}: its stories need at least {fewest} statements before a question");
        var needed = MinimumLength(config.BabiTask, config.MaxSentences, config.MinDistance);
        if (config.SeqLen < needed)
            throw new ConfigException($"'task.seq_len' = {config.SeqLen} is too short for babi-haystack task {config.BabiTask}: needs at least {needed} tokens (max_sentences = {config.MaxSentences} of the longest statements, the longest question and answer, and min_distance = {config.MinDistance})");
    }

    /// <summary>
    /// The shortest example that holds any story: max_sentences statements of the longest kind, each
    /// with its FACT marker, min_distance, and QUERY, the longest question, a space and the longest answer.
    /// </summary>
    public static int MinimumLength(int babiTask, int maxStatements, int minDistance) =>
        maxStatements * (1 + BabiGenerator.LongestStatement(babiTask)) + minDistance
        + 1 + BabiGenerator.LongestQuestion(babiTask) + 1 + BabiGenerator.LongestAnswer;

    public BabiHaystackTask(TaskConfig config, long seed) : base(seed, config.EvalExamples)
    {
        Validate(config);
        babiTask = config.BabiTask;
        maxStatements = config.MaxSentences;
        total = config.SeqLen;
        minDistance = config.MinDistance;
        depthMin = config.DepthMin;
        depthMax = config.DepthMax;
        filler = config.FillerPath == "" ? null : TextFiller.Read(config.FillerPath);
        Spec = new TaskSpec(Symbols, 0, TaskOutput.PerToken, Symbols, Causal: true, MaxLength: total - 1);
    }

    public override string Name => "babi-haystack";

    public override TaskSpec Spec { get; }

    public override SequenceExample Generate(SeededRandom random)
    {
        var (statements, question, answer) = DrawStory(random);
        var tokens = new long[total];
        if (filler is null)
        {
            for (var i = 0; i < total; i++)
            {
                var c = random.Next(27);
                tokens[i] = c < 26 ? 'a' + c : ' ';
            }
        }
        else
        {
            TextFiller.Fill(tokens, filler, random);
        }

        // The end: QUERY, the question, a space, the answer word.
        var asked = Encoding.ASCII.GetBytes(question + " ");
        var word = Encoding.ASCII.GetBytes(answer);
        var queryAt = total - 1 - asked.Length - word.Length;
        tokens[queryAt] = Query;
        Copy(asked, tokens, queryAt + 1);
        Copy(word, tokens, queryAt + 1 + asked.Length);

        // The facts end by factsEnd, min_distance tokens before QUERY. The first starts at the drawn
        // depth; the spare filler tokens after it are cut at sorted uniform points, one gap before
        // each later statement, so the statements keep their order at uniformly random places.
        var facts = statements.Select(Encoding.ASCII.GetBytes).ToList();
        var factsEnd = queryAt - minDistance;
        var storyTokens = facts.Sum(f => 1 + f.Length);
        var depth = depthMin + (depthMax - depthMin) * random.NextDouble();
        var first = (int)Math.Round(depth * (factsEnd - storyTokens));
        var spare = factsEnd - first - storyTokens;
        var gaps = new int[facts.Count];
        for (var i = 1; i < gaps.Length; i++) gaps[i] = random.Next(spare + 1);
        Array.Sort(gaps);
        var written = 0;
        for (var i = 0; i < facts.Count; i++)
        {
            var at = first + written + gaps[i];
            tokens[at] = Fact;
            Copy(facts[i], tokens, at + 1);
            written += 1 + facts[i].Length;
        }

        // Scored[j] scores predicting tokens[j+1]: the answer word's bytes at the end.
        var scored = new bool[total - 1];
        for (var j = total - 1 - word.Length; j < total - 1; j++) scored[j] = true;
        return new SequenceExample(tokens, scored);
    }

    /// <summary>
    /// The statements before the latest question of a generated story that follows at most
    /// max_sentences statements, that question (without the file format's trailing space) and its answer.
    /// </summary>
    private (List<string> Statements, string Question, string Answer) DrawStory(SeededRandom random)
    {
        for (var draw = 0; draw < MaxStoryDraws; draw++)
        {
            var statements = new List<string>();
            (List<string>, string, string)? chosen = null;
            foreach (var line in new BabiGenerator(babiTask, random).Story())
            {
                // Lines are "ID statement" or "ID question\tanswer\tsupporting ids".
                var fields = line[(line.IndexOf(' ') + 1)..].Split('\t');
                if (fields.Length == 1)
                {
                    if (statements.Count == maxStatements) break;
                    statements.Add(fields[0]);
                }
                else
                {
                    chosen = ([.. statements], fields[0].TrimEnd(), fields[1]);
                }
            }
            if (chosen is { } story) return story;
        }
        throw new InvalidOperationException($"no story of bAbI task {babiTask} asked a question within {maxStatements} statements in {MaxStoryDraws} draws");
    }

    private static void Copy(byte[] bytes, long[] tokens, int at)
    {
        for (var i = 0; i < bytes.Length; i++) tokens[at + i] = bytes[i];
    }
}
