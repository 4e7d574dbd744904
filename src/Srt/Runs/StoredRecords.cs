using System.Security.Cryptography;
using System.Text;

namespace Srt;

/// <summary>Helpers to load a stage's JSONL files into lookups by item id.</summary>
internal static class StoredRecords
{
    /// <summary>The SHA-256 of a text's UTF-8 bytes, lowercase hex: what a stored critic result records of the text it judged.</summary>
    public static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Removes the records that other weights than <paramref name="weights"/> made (a record without an
    /// identity counts as made by <paramref name="unmarked"/>); returns how many were removed.</summary>
    public static int RemoveOtherWeights<T>(Dictionary<string, T> stored, Func<T, string?> recordWeights, string? weights, string? unmarked)
        where T : class
    {
        var stale = stored.Where(pair => !string.Equals(recordWeights(pair.Value) ?? unmarked, weights, StringComparison.Ordinal)).Select(pair => pair.Key).ToList();
        foreach (string id in stale)
        {
            stored.Remove(id);
        }

        return stale.Count;
    }

    /// <summary>Loads a store into a dictionary by id; a later line for the same id wins.</summary>
    public static Dictionary<string, T> ById<T>(JsonlStore<T> store, Func<T, string> id)
        where T : class
    {
        var byId = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (T record in store.ReadAll())
        {
            byId[id(record)] = record;
        }

        return byId;
    }

    /// <summary>Refuses to reuse stored work done for a different instruction under the same id.</summary>
    public static void CheckInstructions<T>(IReadOnlyList<InstructionItem> items, Dictionary<string, T> stored, Func<T, string> instruction, string filePath)
        where T : class
    {
        foreach (InstructionItem item in items)
        {
            if (stored.TryGetValue(item.Id, out T? record) && !string.Equals(instruction(record), item.Instruction, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"{filePath} holds item '{item.Id}' with a different instruction than the one given now. " +
                    "Ids key stored work, so reusing an id for a new instruction would reuse the wrong answers: give the item a new id or use a new run directory.");
            }
        }
    }
}
