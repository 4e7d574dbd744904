namespace Srt;

/// <summary>One instruction for the loop, with an id that keys it in the run directory.</summary>
/// <param name="Id">The item id: unique within a stage, stable across reruns (a rerun matches stored work by id).</param>
/// <param name="Instruction">The instruction the policy answers.</param>
public sealed record InstructionItem(string Id, string Instruction)
{
    /// <summary>Checks a list of items: none null, every id and instruction non-empty, no id twice.</summary>
    /// <param name="items">The items to check.</param>
    /// <param name="parameterName">The argument name to report.</param>
    /// <returns>The items as a list, in order.</returns>
    internal static IReadOnlyList<InstructionItem> Validate(IEnumerable<InstructionItem> items, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(items, parameterName);
        var list = items.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int index = 0; index < list.Count; index++)
        {
            InstructionItem? item = list[index];
            if (item is null)
            {
                throw new ArgumentException($"Item {index} is null.", parameterName);
            }

            if (string.IsNullOrWhiteSpace(item.Id))
            {
                throw new ArgumentException($"Item {index} has an empty {nameof(Id)}.", parameterName);
            }

            if (string.IsNullOrWhiteSpace(item.Instruction))
            {
                throw new ArgumentException($"Item '{item.Id}' (index {index}) has an empty {nameof(Instruction)}.", parameterName);
            }

            if (!seen.Add(item.Id))
            {
                throw new ArgumentException($"Item id '{item.Id}' appears more than once (again at index {index}); ids must be unique.", parameterName);
            }
        }

        return list;
    }
}
