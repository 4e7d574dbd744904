using static TorchSharp.torch;

namespace Srt.TorchSharp.Kernels;

/// <summary>The loss of a linear layer followed by cross-entropy, and how many tokens it covered.</summary>
public sealed class LinearCrossEntropyResult
{
    /// <summary>Initializes a new instance of the <see cref="LinearCrossEntropyResult"/> class.</summary>
    /// <param name="loss">The float32 scalar loss, attached to the autograd graph when gradients are enabled.</param>
    /// <param name="supervisedTokens">The number of tokens that carried loss.</param>
    public LinearCrossEntropyResult(Tensor loss, long supervisedTokens)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentOutOfRangeException.ThrowIfNegative(supervisedTokens);
        Loss = loss;
        SupervisedTokens = supervisedTokens;
    }

    /// <summary>Gets the float32 scalar loss; call <c>backward()</c> on it. It belongs to the caller's dispose scope.</summary>
    public Tensor Loss { get; }

    /// <summary>Gets the number of tokens that carried loss (mask set and target not the ignore index).</summary>
    public long SupervisedTokens { get; }
}
