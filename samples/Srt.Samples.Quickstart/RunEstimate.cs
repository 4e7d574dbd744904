namespace Srt.Samples.Quickstart;

/// <summary>
/// Estimates the time a run has left from the phases it still has to do. Each phase has a typical cost (seconds
/// measured on a reference machine, see <see cref="QuickstartSettings.PhaseSeconds"/>); once some work is done the
/// estimate rescales those costs by how fast this machine did it, so a slower or busier machine gets a longer estimate.
/// Phases resumed from the run directory take no time and are left out of both sides.
/// </summary>
internal sealed class RunEstimate
{
    // Below this share of the run's work the measured speed is mostly start-up noise: use the typical costs.
    private const double MinimumMeasuredShare = 0.02;
    private readonly IReadOnlyList<(string Name, double Seconds)> _phases;
    private readonly Func<TimeSpan> _clock;
    private readonly HashSet<string> _finished = [];
    private readonly HashSet<string> _resumed = [];
    private TimeSpan _workStarted;
    private double _currentFraction;

    /// <summary>Creates an estimate over <paramref name="phases"/>, in run order, timed by <paramref name="clock"/> (elapsed time).</summary>
    public RunEstimate(IReadOnlyList<(string Name, double Seconds)> phases, Func<TimeSpan> clock)
    {
        if (phases.Count == 0 || phases.Any(p => p.Seconds <= 0))
        {
            throw new ArgumentException("A run estimate needs at least one phase, each with a positive typical cost.", nameof(phases));
        }

        _phases = phases;
        _clock = clock;
        _workStarted = clock();
    }

    /// <summary>Gets the phase running now, or null before the first and after the last.</summary>
    public string? Current { get; private set; }

    /// <summary>Gets the 1-based position of <see cref="Current"/> among the phases (0 when none).</summary>
    public int CurrentNumber => Current is null ? 0 : _phases.Select(p => p.Name).ToList().IndexOf(Current) + 1;

    public int PhaseCount => _phases.Count;

    /// <summary>Gets the share of the run's typical cost done, resumed phases counted as done.</summary>
    public double DoneShare => (Done() + Resumed()) / Total();

    /// <summary>Starts <paramref name="phase"/> (finishing the one before).</summary>
    public void Start(string phase)
    {
        Cost(phase);
        if (Current is { } previous && previous != phase)
        {
            _finished.Add(previous);
        }

        Current = phase;
        _currentFraction = 0;
    }

    /// <summary>Records how far the current phase is, from 0 to 1.</summary>
    public void Report(double fraction) => _currentFraction = Math.Clamp(fraction, 0, 1);

    /// <summary>Marks <paramref name="phase"/> as found done in the run directory: it costs nothing in this run.</summary>
    public void Resume(string phase)
    {
        Cost(phase);
        _resumed.Add(phase);
        if (Current == phase)
        {
            Current = null;
        }

        // Time spent before resumed phases is start-up, not work: measure speed from here.
        if (Done() == 0)
        {
            _workStarted = _clock();
        }
    }

    /// <summary>Marks the current phase as finished.</summary>
    public void Finish()
    {
        if (Current is { } phase)
        {
            _finished.Add(phase);
            Current = null;
        }
    }

    /// <summary>Gets the estimated time left: the typical cost of the work left, scaled by this run's measured speed.</summary>
    public TimeSpan Remaining()
    {
        double left = Total() - Done() - Resumed();
        double done = Done();
        double measured = (_clock() - _workStarted).TotalSeconds;
        double speed = done >= MinimumMeasuredShare * Total() && measured > 0 ? measured / done : 1;
        return TimeSpan.FromSeconds(Math.Max(left, 0) * speed);
    }

    private double Total() => _phases.Sum(p => p.Seconds);

    private double Done() =>
        _phases.Where(p => _finished.Contains(p.Name) && !_resumed.Contains(p.Name)).Sum(p => p.Seconds)
        + (Current is { } current && !_resumed.Contains(current) ? Cost(current) * _currentFraction : 0);

    private double Resumed() => _phases.Where(p => _resumed.Contains(p.Name)).Sum(p => p.Seconds);

    private double Cost(string phase)
    {
        foreach ((string name, double seconds) in _phases)
        {
            if (name == phase)
            {
                return seconds;
            }
        }

        throw new ArgumentException($"'{phase}' is not a phase of this run ({string.Join(", ", _phases.Select(p => p.Name))}).", nameof(phase));
    }
}
