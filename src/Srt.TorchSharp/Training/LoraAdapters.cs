using System.Text.Json;
using System.Text.Json.Nodes;
using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Modeling.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Training;

/// <summary>
/// LoRA adapters attached to a model's linear projections: only they train, the base weights stay untouched. Saved and
/// loaded in the Hugging Face PEFT layout (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>), mergeable
/// into the base weights, and switchable off (the model then computes exactly the base model).
/// </summary>
public sealed class LoraAdapters : IDisposable
{
    /// <summary>The PEFT config file name.</summary>
    public const string ConfigFileName = "adapter_config.json";

    /// <summary>The PEFT weights file name.</summary>
    public const string WeightsFileName = "adapter_model.safetensors";

    private readonly List<(string Path, LinearProjection Projection, LoraAdapter Adapter)> _adapters;
    private bool _enabled = true;
    private bool _disposed;

    private LoraAdapters(LoraOptions options, List<(string, LinearProjection, LoraAdapter)> adapters)
    {
        Options = options;
        _adapters = adapters;
    }

    /// <summary>Gets the settings the adapters were made with.</summary>
    public LoraOptions Options { get; }

    /// <summary>Gets the number of adapted projections.</summary>
    public int Count => _adapters.Count;

    /// <summary>Gets or sets whether the adapters contribute; off, the model computes the base model bit for bit.</summary>
    public bool Enabled
    {
        get => _enabled;
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _enabled = value;
            foreach (var (_, projection, adapter) in _adapters)
            {
                projection.Adapter = value ? adapter.Forward : null;
            }
        }
    }

    /// <summary>Gets or sets whether adapter dropout is active (training) or not (evaluation).</summary>
    public bool IsTraining
    {
        get => _adapters.Count > 0 && _adapters[0].Adapter.Training;
        set
        {
            foreach (var entry in _adapters)
            {
                entry.Adapter.Training = value;
            }
        }
    }

    /// <summary>Wraps the model's projections named in <paramref name="options"/> with fresh adapters (B = 0).</summary>
    /// <param name="model">The model; its base parameters are set to not require gradients.</param>
    /// <param name="options">Rank, alpha, dropout and target modules; validated.</param>
    /// <param name="seed">Seeds torch's generator before initialising A, when given.</param>
    /// <exception cref="InvalidOperationException">The model already has adapters.</exception>
    public static LoraAdapters Attach(LlamaForCausalLM model, LoraOptions options, long? seed = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (seed is { } value)
        {
            random.manual_seed(value);
        }
        var adapters = new List<(string, LinearProjection, LoraAdapter)>();
        foreach (var (path, module) in model.Module.named_modules())
        {
            if (module is not LinearProjection projection || !options.TargetModules.Contains(path[(path.LastIndexOf('.') + 1)..]))
            {
                continue;
            }
            if (projection.Adapter is not null)
            {
                throw new InvalidOperationException($"The projection '{path}' already has an adapter; merge or dispose the existing adapters first.");
            }
            var shape = projection.Weight.shape;
            adapters.Add((path, projection, new LoraAdapter(shape[1], shape[0], options, projection.Weight.device)));
        }
        if (adapters.Count == 0)
        {
            throw new InvalidOperationException($"No projection of the model matches LoRA target modules {string.Join(", ", options.TargetModules)}.");
        }
        // A target the model lacks (q_proj on a Phi-3 model, whose queries live in qkv_proj) would otherwise leave
        // that part of the model silently unadapted.
        var present = adapters.Select(a => a.Item1[(a.Item1.LastIndexOf('.') + 1)..]).ToHashSet(StringComparer.Ordinal);
        var absent = options.TargetModules.Where(name => !present.Contains(name)).ToArray();
        if (absent.Length > 0)
        {
            adapters.ForEach(a => a.Item3.Dispose());
            var available = model.Module.named_modules().Where(m => m.module is LinearProjection && m.name.Contains(".layers.", StringComparison.Ordinal))
                .Select(m => m.name[(m.name.LastIndexOf('.') + 1)..]).Distinct(StringComparer.Ordinal);
            throw new InvalidOperationException(
                $"LoRA target modules {string.Join(", ", absent)} name no projection of this {model.Config.ModelType} model; its projections are {string.Join(", ", available)}.");
        }
        foreach (var parameter in model.Parameters())
        {
            parameter.requires_grad_(false);
        }
        var result = new LoraAdapters(options, adapters);
        result.Enabled = true;
        return result;
    }

    /// <summary>Attaches adapters saved by <see cref="Save"/> (or by PEFT) to the model.</summary>
    /// <param name="model">The base model they were trained on.</param>
    /// <param name="folder">The folder with <c>adapter_config.json</c> and <c>adapter_model.safetensors</c>.</param>
    /// <exception cref="InvalidDataException">The config or weights are missing, malformed or do not match the model.</exception>
    public static LoraAdapters Load(LlamaForCausalLM model, string folder)
    {
        ArgumentNullException.ThrowIfNull(model);
        var adapters = Attach(model, LoraAdapterFiles.ReadConfig(Path.Combine(folder, ConfigFileName)));
        try
        {
            adapters.LoadWeights(folder);
            return adapters;
        }
        catch
        {
            adapters.Dispose();
            throw;
        }
    }

    /// <summary>The adapter parameters with their PEFT names
    /// (<c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>), float32.</summary>
    /// <returns>Name and parameter pairs in model order.</returns>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        foreach (var (path, _, adapter) in _adapters)
        {
            yield return ($"base_model.model.{path}.lora_A.weight", adapter.A);
            yield return ($"base_model.model.{path}.lora_B.weight", adapter.B);
        }
    }

    /// <summary>Writes <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> in the PEFT layout.</summary>
    /// <param name="folder">The folder, created if absent.</param>
    /// <param name="baseModelNameOrPath">Recorded as <c>base_model_name_or_path</c>.</param>
    public void Save(string folder, string? baseModelNameOrPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ObjectDisposedException.ThrowIf(_disposed, this);
        Directory.CreateDirectory(folder);
        LoraAdapterFiles.WriteConfig(Path.Combine(folder, ConfigFileName), Options, baseModelNameOrPath);
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFileName), NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter)));
    }

    /// <summary>Adds (alpha / r) · B · A to each base weight (rounded to the base dtype), then detaches and frees
    /// the adapters; the base parameters require gradients again.</summary>
    /// <param name="model">The model the adapters are attached to.</param>
    public void MergeAndDispose(LlamaForCausalLM model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using (no_grad())
        {
            foreach (var (_, projection, adapter) in _adapters)
            {
                using var delta = adapter.Delta();
                using var merged = projection.Weight.to(ScalarType.Float32).add_(delta, HeldScalars.One);
                projection.Weight.copy_(merged);
            }
        }
        Dispose();
        foreach (var parameter in model.Parameters())
        {
            parameter.requires_grad_(true);
        }
    }

    internal void LoadWeights(string folder)
    {
        var path = Path.Combine(folder, WeightsFileName);
        using var reader = SafetensorsReader.Open(path);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in NamedParameters())
        {
            if (!reader.TryGetTensor(name, out var info))
            {
                throw new InvalidDataException($"{path}: tensor '{name}' is missing.");
            }
            if (!info.Shape.SequenceEqual(parameter.shape))
            {
                throw new InvalidDataException($"{path}: tensor '{name}' has shape [{string.Join(", ", info.Shape)}]; the model needs [{string.Join(", ", parameter.shape)}].");
            }
            using var value = reader.ReadTensor(name, ScalarType.Float32, parameter.device);
            parameter.copy_(value);
        }
    }

    /// <summary>Detaches the adapters (the model computes the base model again) and frees them.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        Enabled = false;
        _disposed = true;
        foreach (var entry in _adapters)
        {
            entry.Adapter.Dispose();
        }
    }
}
