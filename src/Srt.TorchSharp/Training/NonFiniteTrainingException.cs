namespace Srt.TorchSharp.Training;

/// <summary>Training stopped because the loss or the gradient norm became NaN or infinite (or, after the last step,
/// a weight). No optimizer step was taken with it, and no checkpoint holds the weights that gave it: a step checkpoint
/// is written only after the next step found its weights finite. The model was put back to the last checkpoint in the
/// output directory, the last good state, which a rerun resumes from (see <see cref="NonFiniteStepAction"/>).</summary>
public sealed class NonFiniteTrainingException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="step">The 1-based optimizer step that failed.</param>
    /// <param name="quantity">"loss" or "gradient norm".</param>
    /// <param name="value">The offending value.</param>
    public NonFiniteTrainingException(int step, string quantity, double value)
        : base($"Training stopped at step {step}: the {quantity} is {value}. No update was applied; resume from the last checkpoint with a lower learning rate or check the data.")
    {
        Step = step;
        Quantity = quantity;
        Value = value;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public NonFiniteTrainingException(string message)
        : base(message)
    {
        Quantity = "unknown";
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public NonFiniteTrainingException(string message, Exception innerException)
        : base(message, innerException)
    {
        Quantity = "unknown";
    }

    /// <summary>Creates the exception.</summary>
    public NonFiniteTrainingException()
        : this("Training stopped on a non-finite value.")
    {
    }

    /// <summary>Gets the 1-based optimizer step that failed.</summary>
    public int Step { get; }

    /// <summary>Gets what was not finite: "loss" or "gradient norm".</summary>
    public string Quantity { get; }

    /// <summary>Gets the offending value.</summary>
    public double Value { get; }
}
