using System.Globalization;

namespace Nsm.Data.Babi;

/// <summary>
/// Generates stories for bAbI tasks 1-3 in the bAbI file format, so the tasks run offline with
/// the same reader as the published files. A small world of four people, six places and three
/// objects, with the original tasks' sentence templates:
/// <list type="bullet">
/// <item>1, single supporting fact: people move; "Where is Mary?" asks for a person's current place.</item>
/// <item>2, two supporting facts: people also get and drop objects; "Where is the football?" needs
/// who holds it and where that person went.</item>
/// <item>3, three supporting facts: "Where was the football before the kitchen?" asks for the
/// object's place before it reached a place it has been in only once.</item>
/// </list>
/// Each story has a question after every few statements (task 1: two statements, as in bAbI);
/// a story ends after <see cref="QuestionsPerStory"/> questions.
/// </summary>
public sealed class BabiGenerator
{
    public const int QuestionsPerStory = 5;

    private static readonly string[] People = ["Mary", "John", "Daniel", "Sandra"];
    private static readonly string[] Places = ["bathroom", "hallway", "garden", "office", "bedroom", "kitchen"];
    private static readonly string[] Objects = ["football", "apple", "milk"];
    private static readonly string[] MoveVerbs = ["moved to", "went to", "travelled to", "journeyed to", "went back to"];
    private static readonly string[] GetVerbs = ["got", "picked up", "grabbed", "took"];
    private static readonly string[] DropVerbs = ["dropped", "discarded", "put down", "left"];

    private readonly SeededRandom random;
    private readonly int task;

    public BabiGenerator(int task, SeededRandom random)
    {
        if (task is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(task), "the generator makes bAbI tasks 1, 2 and 3");
        this.task = task;
        this.random = random;
    }

    /// <summary>
    /// Characters (ASCII, so bytes) of the longest statement of a task: a move, and in tasks 2-3 also
    /// "P got the O there." and "P dropped the O.", with the longest person, verb, object and place.
    /// </summary>
    public static int LongestStatement(int task)
    {
        int Longest(string[] words) => words.Max(w => w.Length);
        var move = Longest(People) + 1 + Longest(MoveVerbs) + " the ".Length + Longest(Places) + 1;
        if (task == 1) return move;
        var take = Longest(People) + 1 + Longest(GetVerbs) + " the ".Length + Longest(Objects) + " there.".Length;
        var drop = Longest(People) + 1 + Longest(DropVerbs) + " the ".Length + Longest(Objects) + 1;
        return Math.Max(move, Math.Max(take, drop));
    }

    /// <summary>Characters of the longest question of a task, without the trailing space of the file format.</summary>
    public static int LongestQuestion(int task) => task switch
    {
        1 => "Where is ".Length + People.Max(p => p.Length) + 1,
        2 => "Where is the ".Length + Objects.Max(o => o.Length) + 1,
        _ => "Where was the ".Length + Objects.Max(o => o.Length) + " before the ".Length + Places.Max(p => p.Length) + 1,
    };

    /// <summary>Characters of the longest answer: every answer of tasks 1-3 is a place.</summary>
    public static int LongestAnswer => Places.Max(p => p.Length);

    /// <summary>One story, as bAbI file lines.</summary>
    public List<string> Story()
    {
        var world = new World();
        var lines = new List<string>();
        var questions = 0;
        var sinceQuestion = 0;
        while (questions < QuestionsPerStory)
        {
            // Task 1 alternates two statements and a question; tasks 2 and 3 need more happening in between.
            var minStatements = task == 1 ? 2 : 2 + random.Next(3);
            if (sinceQuestion >= minStatements && Question(world, lines.Count + 1) is { } question)
            {
                lines.Add(question);
                questions++;
                sinceQuestion = 0;
                continue;
            }
            lines.Add($"{lines.Count + 1} {Statement(world, lines.Count + 1)}");
            sinceQuestion++;
        }
        return lines;
    }

    /// <summary>Stories until at least <paramref name="questions"/> questions exist, as lines.</summary>
    public IEnumerable<string> Lines(int questions)
    {
        var made = 0;
        while (made < questions)
        {
            var story = Story();
            made += story.Count(l => l.Contains('\t'));
            foreach (var line in story) yield return line;
        }
    }

    private string Statement(World w, int id)
    {
        if (task > 1)
        {
            // Drop something held, or pick up something in reach, about half the time.
            var holders = People.Where(p => w.Holding(p).Any()).ToList();
            if (holders.Count > 0 && random.NextDouble() < 0.2)
            {
                var person = holders[random.Next(holders.Count)];
                var held = w.Holding(person).ToList();
                var obj = held[random.Next(held.Count)];
                w.Drop(obj);
                return $"{person} {Pick(DropVerbs)} the {obj}.";
            }
            var takers = People.Where(p => w.Location.ContainsKey(p)).ToList();
            if (takers.Count > 0 && random.NextDouble() < 0.35)
            {
                var person = takers[random.Next(takers.Count)];
                var place = w.Location[person];
                var reachable = Objects.Where(o => !w.Holder.ContainsKey(o) && (!w.History.TryGetValue(o, out var h) || h[^1].Place == place)).ToList();
                if (reachable.Count > 0)
                {
                    var obj = reachable[random.Next(reachable.Count)];
                    w.Take(person, obj, id);
                    return $"{person} {Pick(GetVerbs)} the {obj} there.";
                }
            }
        }
        var mover = People[random.Next(People.Length)];
        var options = Places.Where(p => !w.Location.TryGetValue(mover, out var here) || here != p).ToArray();
        var to = options[random.Next(options.Length)];
        w.Move(mover, to, id);
        return $"{mover} {Pick(MoveVerbs)} the {to}.";
    }

    /// <summary>A question line with answer and supporting ids, or null if none can be asked yet.</summary>
    private string? Question(World w, int id)
    {
        switch (task)
        {
            case 1:
            {
                var known = People.Where(w.Location.ContainsKey).ToList();
                if (known.Count == 0) return null;
                var person = known[random.Next(known.Count)];
                return Line(id, $"Where is {person}? ", w.Location[person], [w.LastMove[person]]);
            }
            case 2:
            {
                // Objects whose place is known: held by someone who has a place, or dropped somewhere.
                var known = Objects.Where(o => w.History.ContainsKey(o)).ToList();
                if (known.Count == 0) return null;
                var obj = known[random.Next(known.Count)];
                var last = w.History[obj][^1];
                return Line(id, $"Where is the {obj}? ", last.Place, w.Support(obj));
            }
            default:
            {
                // (object, k) such that the object went from place k-1 to place k, and place k occurs once in its history.
                var candidates = new List<(string Obj, int K)>();
                foreach (var (obj, history) in w.History)
                    for (var k = 1; k < history.Count; k++)
                        if (history.Count(h => h.Place == history[k].Place) == 1) candidates.Add((obj, k));
                if (candidates.Count == 0) return null;
                var (o, at) = candidates[random.Next(candidates.Count)];
                var h = w.History[o];
                return Line(id, $"Where was the {o} before the {h[at].Place}? ", h[at - 1].Place, [h[at - 1].Line, h[at].Line, w.Taken[o]]);
            }
        }
    }

    private static string Line(int id, string question, string answer, IEnumerable<int> supporting) =>
        $"{id} {question}\t{answer}\t{string.Join(' ', supporting.Distinct().Order().Select(s => s.ToString(CultureInfo.InvariantCulture)))}";

    private string Pick(string[] options) => options[random.Next(options.Length)];

    /// <summary>Who is where, who holds what, and where each object has been (with the line that put it there).</summary>
    private sealed class World
    {
        public Dictionary<string, string> Location { get; } = [];
        public Dictionary<string, int> LastMove { get; } = [];
        public Dictionary<string, string> Holder { get; } = [];
        public Dictionary<string, int> Taken { get; } = [];
        public Dictionary<string, List<(string Place, int Line)>> History { get; } = [];

        public IEnumerable<string> Holding(string person) => Holder.Where(p => p.Value == person).Select(p => p.Key);

        public void Move(string person, string place, int line)
        {
            Location[person] = place;
            LastMove[person] = line;
            foreach (var obj in Holding(person).ToList()) Visit(obj, place, line);
        }

        public void Take(string person, string obj, int line)
        {
            Holder[obj] = person;
            Taken[obj] = line;
            Visit(obj, Location[person], line);
        }

        public void Drop(string obj) => Holder.Remove(obj);

        /// <summary>Lines that settle where an object is now: the pick-up and, if still held, the holder's last move.</summary>
        public IEnumerable<int> Support(string obj)
        {
            yield return History[obj][^1].Line;
            if (Holder.TryGetValue(obj, out var person)) yield return LastMove[person];
            yield return Taken[obj];
        }

        private void Visit(string obj, string place, int line)
        {
            if (!History.TryGetValue(obj, out var history)) History[obj] = history = [];
            if (history.Count == 0 || history[^1].Place != place) history.Add((place, line));
        }
    }
}
