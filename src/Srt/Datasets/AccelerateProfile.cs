namespace Srt.Datasets;

/// <summary>
/// The Accelerate launch profile written next to a TRL config (<c>accelerate.yaml</c>): how many processes and which
/// distribution strategy <c>accelerate launch</c> (and <c>trl … --accelerate_config</c>) uses.
/// </summary>
public enum AccelerateProfile
{
    /// <summary>One process on one GPU (<c>distributed_type: "NO"</c>).</summary>
    SingleGpu,

    /// <summary>Data-parallel DDP, one process per GPU (<c>distributed_type: MULTI_GPU</c>); each GPU holds the whole model and optimizer.</summary>
    MultiGpu,

    /// <summary>
    /// DeepSpeed ZeRO stage 3 (<c>distributed_type: DEEPSPEED</c>): parameters, gradients and optimizer state sharded
    /// over the GPUs, for full fine-tuning of models whose AdamW state does not fit one GPU. The final model is saved
    /// gathered in 16 bits (<c>zero3_save_16bit_model</c>), so the output folder loads like any other.
    /// </summary>
    DeepSpeedZero3,
}
