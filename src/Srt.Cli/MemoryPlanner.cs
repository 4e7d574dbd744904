namespace Srt.Cli;

/// <summary>The one place <c>srt plan</c> calls the trainer's memory planner.</summary>
internal static class MemoryPlanner
{
    /// <summary>Describes the plan: each part's bytes and the estimated peak.</summary>
    /// <param name="request">The model, settings, dtype and device.</param>
    /// <returns>The plan as text.</returns>
    /// <exception cref="NotSupportedException">The trainer's memory planner is not part of this build yet.</exception>
    public static string Describe(MemoryPlanRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        // Wire to Srt.TorchSharp.Training.TrainingMemoryPlan.Estimate(request.Config, request.Trainer (with
        // GradientCheckpointing = request.GradientCheckpointing), request.LongestSequence, TrainingKind, request.DType,
        // request.Device).ToString() once the planner is in this build.
        throw new NotSupportedException("srt plan: the trainer's memory plan arrives with the memory planner (TrainingMemoryPlan in Srt.TorchSharp); this build does not have it yet.");
    }
}
