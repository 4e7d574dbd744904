namespace Srt.Samples.Quickstart;

/// <summary>The sample's instructions, with a terse first answer and the detail a good answer adds.</summary>
internal static class QuickstartData
{
    public static IReadOnlyList<(string Id, string Instruction, string Terse, string Detail)> StageOne { get; } =
    [
        ("s1-colors", "List the three primary colors of paint.", "Red, yellow, blue.", "These three cannot be mixed from other paints, and mixing them gives the secondary colors orange, green and purple."),
        ("s1-capital", "What is the capital of France?", "Paris.", "Paris has been the capital since the 10th century and is also the country's largest city."),
        ("s1-boil", "At what temperature does water boil at sea level?", "100 °C.", "That is 212 °F; at higher altitude the air pressure is lower, so water boils at a lower temperature."),
        ("s1-prime", "Is 91 a prime number?", "No.", "91 = 7 × 13, so it has divisors other than 1 and itself."),
        ("s1-photosynthesis", "Explain photosynthesis in one paragraph.", "Plants make food from light.", "Using chlorophyll, plants turn carbon dioxide and water into glucose and oxygen, storing the energy of sunlight as chemical energy."),
        ("s1-haiku", "Write a haiku about autumn.", "Leaves fall down.", "A full haiku: 'Crisp leaves drift and fall / the maple lets go of red / cold wind keeps the rest.'"),
        ("s1-http", "What does HTTP status 404 mean?", "Not found.", "The server was reached but has nothing at the requested address; the client should not repeat the request unchanged."),
        ("s1-sort", "Name a sorting algorithm with O(n log n) worst-case time.", "Merge sort.", "Heapsort also qualifies; quicksort does not, because its worst case is O(n²)."),
        ("s1-moon", "How long does light take to reach Earth from the Moon?", "About a second.", "About 1.28 seconds, since the Moon is roughly 384,000 km away and light travels about 300,000 km per second."),
        ("s1-dna", "What does DNA stand for?", "Deoxyribonucleic acid.", "It is the molecule that carries genetic instructions, built from four bases: A, T, C and G."),
        ("s1-empty", "Say something about nothing.", "Nothing.", ""),
        ("s1-regress", "Give one tip for writing clear code.", "Use names that say what a thing is, because code is read far more often than it is written, and a good name saves every reader the work of decoding it.", "Tip: names."),
    ];

    public static IReadOnlyList<(string Id, string Instruction, string Terse, string Detail)> StageTwo { get; } =
    [
        ("s2-ocean", "Which is the largest ocean?", "The Pacific.", "It covers about a third of Earth's surface, more than all land combined."),
        ("s2-speed", "What is the speed of sound in air?", "About 343 m/s.", "That is at 20 °C; sound travels faster in warmer air and much faster in water."),
        ("s2-planet", "Which planet is closest to the Sun?", "Mercury.", "It orbits the Sun every 88 days and has almost no atmosphere."),
        ("s2-hexagon", "How many sides does a hexagon have?", "Six.", "A regular hexagon's interior angles are each 120°, which is why hexagons tile a plane."),
        ("s2-author", "Who wrote 'Pride and Prejudice'?", "Jane Austen.", "It was published in 1813 and follows Elizabeth Bennet and Mr Darcy."),
        ("s2-short", "Reply with one word: yes or no?", "Yes.", ""),
    ];

    /// <summary>Finds the entry of an instruction.</summary>
    public static (string Id, string Instruction, string Terse, string Detail) Find(string instruction) =>
        StageOne.Concat(StageTwo).Single(entry => entry.Instruction == instruction);
}
