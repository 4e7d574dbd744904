using Srt.TorchSharp.Loading;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>
/// AdamW (decoupled weight decay, bias-corrected, as torch.optim.AdamW; decay skips biases and norm weights unless
/// <see cref="TorchSharpTrainerOptions.WeightDecayExcludesBiasAndNorm"/> is off) with float32 state for any parameter dtype.
/// A float32 parameter is updated in place. A bfloat16 (or float16) parameter gets a float32 master copy: gradients
/// are summed into a float32 accumulator after every micro-batch, the update is applied to the master, and the master
/// is rounded into the model's parameter after each step — mixed-precision training without autocast.
/// </summary>
internal sealed class MixedPrecisionAdamW : IDisposable
{
    private readonly List<Slot> _slots;
    private readonly TorchSharpTrainerOptions _options;

    public MixedPrecisionAdamW(IEnumerable<(string Name, Parameter Parameter)> parameters, TorchSharpTrainerOptions options)
    {
        _options = options;
        using var noGrad = no_grad();
        _slots = parameters.Select(p => new Slot(p.Name, p.Parameter)
        {
            Decays = WeightDecayRules.Decays(p.Name, options.WeightDecayExcludesBiasAndNorm),
        }).ToList();
    }

    /// <summary>The names of the parameters weight decay applies to (all but biases and norm weights by default).</summary>
    public IReadOnlyList<string> DecayedParameterNames => _slots.Where(s => s.Decays).Select(s => s.Name).ToList();

    /// <summary>Optimizer steps taken (AdamW's t).</summary>
    public int StepCount { get; private set; }

    public IReadOnlyList<Parameter> Parameters => _slots.Select(s => s.Parameter).ToList();

    /// <summary>Moves low-precision gradients into the float32 accumulators (call after each micro-batch backward).</summary>
    public void CollectGradients()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var slot in _slots.Where(s => s.Master is not null))
        {
            if (slot.Parameter.grad is { } grad)
            {
                slot.Accumulator!.add_(grad, HeldScalars.One);
                grad.zero_();
            }
        }
    }

    /// <summary>The global L2 norm of the accumulated gradients (float64 sum of float32 squares).</summary>
    public double GradientNorm()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double sum = 0;
        foreach (var slot in _slots)
        {
            // A scope per parameter: each square is as large as its parameter, and holding all of them until the end
            // would add a whole model's worth of float32 to the step's peak.
            using var perParameter = NewDisposeScope();
            if (slot.Gradient() is { } gradient)
            {
                sum += gradient.square().sum(ScalarType.Float64).item<double>();
            }
        }
        return Math.Sqrt(sum);
    }

    /// <summary>Applies one AdamW update with gradients multiplied by <paramref name="gradientScale"/>, then clears them.</summary>
    public void Step(double learningRate, double gradientScale)
    {
        StepCount++;
        double beta1 = _options.AdamBeta1, beta2 = _options.AdamBeta2;
        double correction1 = 1 - Math.Pow(beta1, StepCount);
        double sqrtCorrection2 = Math.Sqrt(1 - Math.Pow(beta2, StepCount));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var slot in _slots)
        {
            // A scope per parameter, so the parameter-sized denominator is freed before the next one is made.
            using var perParameter = NewDisposeScope();
            var target = slot.Master ?? slot.Parameter;
            if (slot.Gradient() is not { } gradient)
            {
                continue; // never reached by the loss (e.g. an unused embedding row set): torch skips it too
            }
            if (gradientScale != 1.0)
            {
                gradient.mul_(HeldScalars.Of(gradientScale));
            }
            if (_options.WeightDecay > 0 && slot.Decays)
            {
                target.mul_(HeldScalars.Of(1 - learningRate * _options.WeightDecay));
            }
            slot.ExpAvg.mul_(HeldScalars.Of(beta1)).add_(gradient, alpha: HeldScalars.Of(1 - beta1));
            slot.ExpAvgSq.mul_(HeldScalars.Of(beta2)).addcmul_(gradient, gradient, value: HeldScalars.Of(1 - beta2));
            var denominator = slot.ExpAvgSq.sqrt().div_(HeldScalars.Of(sqrtCorrection2)).add_(HeldScalars.Of(_options.AdamEpsilon), HeldScalars.One);
            target.addcdiv_(slot.ExpAvg, denominator, value: HeldScalars.Of(-learningRate / correction1));
            if (slot.Master is not null)
            {
                slot.Parameter.copy_(slot.Master);
            }
            gradient.zero_();
        }
    }

    /// <summary>Clears gradients without stepping.</summary>
    public void ZeroGradients()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var slot in _slots)
        {
            slot.Gradient()?.zero_();
            slot.Parameter.grad?.zero_();
        }
    }

    public void Save(string path)
    {
        var tensors = new List<(string, Tensor)>();
        foreach (var slot in _slots)
        {
            tensors.Add((slot.Name + ".exp_avg", slot.ExpAvg));
            tensors.Add((slot.Name + ".exp_avg_sq", slot.ExpAvgSq));
            if (slot.Master is not null)
            {
                tensors.Add((slot.Name + ".master", slot.Master));
            }
        }
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["step"] = StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    public void Load(string path)
    {
        using var reader = SafetensorsReader.Open(path);
        using var noGrad = no_grad();
        void Read(string name, Tensor destination)
        {
            if (!reader.TryGetTensor(name, out _))
            {
                throw new InvalidDataException($"{path}: optimizer tensor '{name}' is missing; the checkpoint does not match this model.");
            }
            using var value = reader.ReadTensor(name, ScalarType.Float32, destination.device);
            destination.copy_(value);
        }
        foreach (var slot in _slots)
        {
            Read(slot.Name + ".exp_avg", slot.ExpAvg);
            Read(slot.Name + ".exp_avg_sq", slot.ExpAvgSq);
            if (slot.Master is not null)
            {
                Read(slot.Name + ".master", slot.Master);
                slot.Parameter.copy_(slot.Master);
            }
        }
        StepCount = int.Parse(reader.Metadata["step"], System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            slot.Dispose();
        }
    }

    private sealed class Slot : IDisposable
    {
        public Slot(string name, Parameter parameter)
        {
            Name = name;
            Parameter = parameter;
            bool lowPrecision = parameter.dtype != ScalarType.Float32;
            if (lowPrecision)
            {
                using var detached = parameter.detach();
                Master = detached.to(ScalarType.Float32, copy: true);
            }
            Accumulator = lowPrecision ? zeros_like(Master!) : null;
            ExpAvg = zeros(parameter.shape, ScalarType.Float32, parameter.device);
            ExpAvgSq = zeros(parameter.shape, ScalarType.Float32, parameter.device);
            Master?.DetachFromDisposeScope();
            Accumulator?.DetachFromDisposeScope();
            ExpAvg.DetachFromDisposeScope();
            ExpAvgSq.DetachFromDisposeScope();
        }

        public string Name { get; }

        public Parameter Parameter { get; }

        public bool Decays { get; init; } = true;

        public Tensor? Master { get; }

        public Tensor? Accumulator { get; }

        public Tensor ExpAvg { get; }

        public Tensor ExpAvgSq { get; }

        // The float32 gradient: the accumulator for low-precision parameters, else the parameter's own .grad
        // (a new handle per call, owned by the caller's dispose scope).
        public Tensor? Gradient() => Accumulator ?? Parameter.grad;

        public void Dispose()
        {
            Master?.Dispose();
            Accumulator?.Dispose();
            ExpAvg.Dispose();
            ExpAvgSq.Dispose();
        }
    }
}
