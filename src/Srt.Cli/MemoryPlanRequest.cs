using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Cli;

/// <summary>What <c>srt plan</c> asks the trainer's memory planner.</summary>
/// <param name="Config">The model architecture.</param>
/// <param name="Trainer">The trainer settings (micro-batch, maximum length, LoRA, loss, DPO reference).</param>
/// <param name="LongestSequence">The longest training sequence in tokens.</param>
/// <param name="Kind">"supervised" (stage 1) or "preference" (stage 2).</param>
/// <param name="DType">The model dtype.</param>
/// <param name="Device">The device type.</param>
/// <param name="GradientCheckpointing">Whether activation checkpointing is on.</param>
internal sealed record MemoryPlanRequest(
    LlamaConfig Config, TorchSharpTrainerOptions Trainer, int LongestSequence, string Kind, ScalarType DType, DeviceType Device, bool GradientCheckpointing);
