using static TorchSharp.torch;

namespace Srt.TorchSharp.Modeling.Modules;

/// <summary>
/// What a layer's attention needs to run a continuous-batching step through
/// <see cref="Kernels.Cpu.SlotDecodeAttention"/>: the slot cache it writes and reads in place, each active slot's
/// position, the rotary tables to index by position (owned by the rotary embedding) and the layer kind's window.
/// </summary>
/// <param name="Cache">The slot cache of the step.</param>
/// <param name="Positions">Each active slot's position (its cached length before the step).</param>
/// <param name="Cos">Rotary cos table [positions, rotary width].</param>
/// <param name="Sin">Rotary sin table, shaped as <paramref name="Cos"/>.</param>
/// <param name="Window">The sliding window of the layers this step serves, or null.</param>
internal sealed record SlotDecodeStep(SlotKvCache Cache, long[] Positions, Tensor Cos, Tensor Sin, int? Window);
