namespace Srt.Benchmarks;

/// <summary>Summary statistics the benchmarks report.</summary>
internal static class Statistics
{
    /// <summary>The median of <paramref name="values"/> (sorts them in place); NaN when empty.</summary>
    public static double Median(List<double> values)
    {
        values.Sort();
        return values.Count == 0 ? double.NaN
            : values.Count % 2 == 1 ? values[values.Count / 2]
            : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }
}
