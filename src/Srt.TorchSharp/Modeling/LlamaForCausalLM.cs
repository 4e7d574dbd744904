using Srt.TorchSharp.Loading;
using Srt.TorchSharp.Modeling.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling;

/// <summary>
/// A Llama-family causal language model (Llama 2/3, Tulu 2, Mistral, Qwen2, TinyLlama, SmolLM; Qwen3, OLMo 2,
/// SmolLM3, Phi-3, Gemma 2 and Gemma 3 text with their own layer shapes) on TorchSharp,
/// loaded from and saved to Hugging Face folders (<c>config.json</c> + safetensors) with Hugging Face parameter names.
/// </summary>
/// <remarks>
/// <para>Forward passes record gradients unless the caller opens <c>torch.no_grad()</c>; inference should.</para>
/// <para>Incremental decoding: create a cache with <see cref="CreateKvCache"/>, run the prompt once
/// (<c>Forward(prompt, mask, cache)</c>), then one token per step (<c>Forward(next [B, 1], mask, cache)</c>) where
/// <c>mask</c> is [B, cache.Length + new tokens] with 0 at padding. Left padding is supported: positions count
/// only real tokens, so a padded batch gives the same logits as each row alone.</para>
/// </remarks>
public sealed class LlamaForCausalLM : IDisposable
{
    private LlamaCausalLMModule _module;

    private LlamaForCausalLM(LlamaConfig config, LlamaCausalLMModule module, ScalarType dtype, Device device)
    {
        Config = config;
        _module = module;
        DType = dtype;
        Device = device;
    }

    /// <summary>The architecture.</summary>
    public LlamaConfig Config { get; }

    /// <summary>The parameter dtype.</summary>
    public ScalarType DType { get; private set; }

    /// <summary>The device holding the parameters.</summary>
    public Device Device { get; private set; }

    /// <summary>Whether the model is in training mode (no layer behaves differently today: there is no dropout).</summary>
    public bool IsTraining => _module.training;

    /// <summary>The output projection [vocab, hidden]: <c>lm_head.weight</c>, or the embedding matrix when tied.</summary>
    public Parameter LmHeadWeight => _module.LmHeadWeight;

    /// <summary>The token embedding matrix [vocab, hidden] (<c>model.embed_tokens.weight</c>).</summary>
    public Parameter EmbeddingWeight => _module.Decoder.EmbedTokens.Weight;

    internal LlamaCausalLMModule Module => _module;

    /// <summary>Loads a Hugging Face model folder: <c>config.json</c> and <c>model.safetensors</c> or a sharded
    /// <c>model.safetensors.index.json</c>. Names must match strictly.</summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="options">Dtype and device; defaults to float32 on the CPU.</param>
    /// <exception cref="CheckpointFormatException">A weight file is malformed, or tensors are missing, unexpected or mis-shaped.</exception>
    /// <exception cref="InvalidDataException">config.json is invalid.</exception>
    public static LlamaForCausalLM FromPretrained(string folder, ModelLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        options ??= new ModelLoadOptions();
        options.Validate();
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Model folder not found: {folder}");
        }
        var config = LlamaConfig.Load(Path.Combine(folder, "config.json"));
        var model = Allocate(config, options);
        try
        {
            LlamaCheckpoint.Load(folder, model._module);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Creates a model with Hugging Face's initialisation: normal(0, <paramref name="initializerRange"/>)
    /// weights, zero biases, unit norm weights. For tests, tiny experiments and training from scratch.</summary>
    /// <param name="config">The architecture; validated.</param>
    /// <param name="options">Dtype and device; defaults to float32 on the CPU.</param>
    /// <param name="seed">Seeds torch's generator first when given, for reproducible weights.</param>
    /// <param name="initializerRange">Standard deviation of weights.</param>
    public static LlamaForCausalLM Create(LlamaConfig config, ModelLoadOptions? options = null, long? seed = null, double initializerRange = 0.02)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        options ??= new ModelLoadOptions();
        options.Validate();
        if (seed is { } value)
        {
            random.manual_seed(value);
        }
        var model = Allocate(config, options);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model._module.named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                // Gemma norms multiply by 1 + weight: zero is the identity there.
                parameter.fill_(HeldScalars.Of(config.IsGemma ? 0.0 : 1.0));
            }
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                parameter.zero_();
            }
            else
            {
                parameter.normal_(0.0, initializerRange);
            }
        }
        return model;
    }

    private static LlamaForCausalLM Allocate(LlamaConfig config, ModelLoadOptions options)
    {
        var device = options.ResolveDevice();
        return new LlamaForCausalLM(config, new LlamaCausalLMModule(config, options.DType, device), options.DType, device);
    }

    /// <summary>Writes <c>config.json</c> and the weights in Hugging Face layout: <c>model.safetensors</c>, or shards
    /// <c>model-0000i-of-0000n.safetensors</c> with <c>model.safetensors.index.json</c> when larger than
    /// <paramref name="maxShardBytes"/>. Tensors keep the model dtype (bf16 stays BF16); reloading is bitwise exact.</summary>
    /// <param name="folder">The folder, created if absent.</param>
    /// <param name="maxShardBytes">Largest shard in bytes, or null for a single file.</param>
    public void SavePretrained(string folder, long? maxShardBytes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        LlamaCheckpoint.Save(folder, this, maxShardBytes);
    }

    /// <summary>Computes next-token logits.</summary>
    /// <param name="inputIds">Token ids [B, T] (int64).</param>
    /// <param name="attentionMask">[B, cached + T], 1 for real tokens and 0 for padding (any integer or bool dtype),
    /// or null when no row is padded.</param>
    /// <param name="cache">Keys/values of earlier tokens, appended to; null for a stateless pass.</param>
    /// <returns>Logits [B, T, vocab] in the model dtype; the caller owns (disposes) the tensor.</returns>
    /// <exception cref="ArgumentException">An id is outside [0, vocab_size), or a shape does not fit.</exception>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        var hidden = ForwardHidden(inputIds, attentionMask, cache);
        return _module.ComputeLogits(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>Runs the decoder and returns the final hidden states [B, T, hidden] after the last norm, for callers
    /// that project only some positions (<see cref="ComputeLogits"/>) or fuse the projection into a loss.</summary>
    /// <inheritdoc cref="Forward" path="/param"/>
    public Tensor ForwardHidden(Tensor inputIds, Tensor? attentionMask = null, KvCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        if (inputIds.dim() != 2)
        {
            throw new ArgumentException($"inputIds must be [batch, tokens]; got [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        }
        if (cache is not null && cache.LayerCount != Config.NumHiddenLayers)
        {
            throw new ArgumentException($"The cache has {cache.LayerCount} layers; the model has {Config.NumHiddenLayers}.", nameof(cache));
        }
        return _module.Decoder.Forward(inputIds, attentionMask, cache);
    }

    /// <summary>Runs the decoder over packed rows and returns the final hidden states [B, T, hidden]: each row holds
    /// several sequences back to back, <paramref name="positionIds"/> restart at 0 at each sequence, and a token attends
    /// only to earlier tokens with its own <paramref name="sequenceIds"/> value. Gives each sequence the hidden states it
    /// gets alone. No cache: for training and scoring.</summary>
    /// <param name="inputIds">Token ids [B, T] (int64).</param>
    /// <param name="positionIds">Positions [B, T] (int64), each sequence's own.</param>
    /// <param name="sequenceIds">Sequence ids [B, T] (int64); padding after the last sequence of a row takes an id of its own.</param>
    /// <param name="segments">The same layout as (start, length) per row, which lets attention run once per sequence
    /// instead of over a masked row; null to attend through the block-diagonal causal mask.</param>
    internal Tensor ForwardHiddenPacked(Tensor inputIds, Tensor positionIds, Tensor sequenceIds, PackedSegments? segments = null)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(positionIds);
        ArgumentNullException.ThrowIfNull(sequenceIds);
        if (inputIds.dim() != 2)
        {
            throw new ArgumentException($"inputIds must be [batch, tokens]; got [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        }
        return _module.Decoder.ForwardPacked(inputIds, positionIds, sequenceIds, segments);
    }

    /// <summary>One decoding step of continuous batching: one token per active slot of <paramref name="cache"/>
    /// ([active, 1]), each at its own position; returns hidden states [active, 1, hidden].</summary>
    internal Tensor ForwardHiddenSlots(Tensor inputIds, SlotKvCache cache)
    {
        if (inputIds.dim() != 2 || inputIds.shape[0] != cache.ActiveSlots || inputIds.shape[1] != 1)
        {
            throw new ArgumentException(
                $"inputIds must be [active slots, 1] = [{cache.ActiveSlots}, 1]; got [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        }
        return _module.Decoder.ForwardSlots(inputIds, cache);
    }

    /// <summary>Creates the slot cache of continuous batching for this model: <paramref name="slots"/> sequences of at
    /// most <paramref name="capacity"/> tokens each, in the model's dtype and on its device.</summary>
    internal SlotKvCache CreateSlotKvCache(int slots, long capacity) => new(Config, slots, capacity, DType, Device);

    /// <summary>Projects hidden states [..., hidden] to logits [..., vocab] with <see cref="LmHeadWeight"/>.</summary>
    /// <param name="hidden">Hidden states from <see cref="ForwardHidden"/>, e.g. only the last position.</param>
    public Tensor ComputeLogits(Tensor hidden) => _module.ComputeLogits(hidden);

    /// <summary>Creates an empty cache sized for this model.</summary>
    /// <param name="initialCapacity">Token slots to allocate up front (prompt + new tokens avoids regrowth).</param>
    public KvCache CreateKvCache(long initialCapacity = 256) => new(Config.NumHiddenLayers, initialCapacity);

    /// <summary>Parameters with their Hugging Face names, in module order.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters() => _module.named_parameters();

    /// <summary>All parameters (for an optimizer).</summary>
    public IEnumerable<Parameter> Parameters() => _module.parameters();

    /// <summary>Switches training mode on or off.</summary>
    /// <param name="on">True for training, false for evaluation.</param>
    public void Train(bool on = true) => _module.train(on);

    /// <summary>Switches to evaluation mode.</summary>
    public void Eval() => _module.eval();

    /// <summary>Moves and/or casts all parameters. Parameter objects obtained earlier are disposed: fetch them again
    /// (and rebuild optimizers) after a move.</summary>
    /// <param name="device">The target device.</param>
    /// <param name="dtype">The target dtype.</param>
    /// <returns>This model.</returns>
    public LlamaForCausalLM To(Device device, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.type == Device.type && device.index == Device.index && dtype == DType)
        {
            return this;
        }
        var moved = new LlamaCausalLMModule(Config, dtype, device);
        using (no_grad())
        {
            var source = _module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in moved.named_parameters())
            {
                parameter.copy_(source[name]);
            }
        }
        moved.train(_module.training);
        _module.Dispose();
        _module = moved;
        (Device, DType) = (device, dtype);
        return this;
    }

    /// <summary>Frees the parameters.</summary>
    public void Dispose() => _module.Dispose();
}
