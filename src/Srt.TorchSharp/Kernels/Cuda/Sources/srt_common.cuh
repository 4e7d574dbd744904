// Shared helpers for Srt's fused kernels. Compiled at run time by NVRTC, so nothing here includes a CUDA header:
// bfloat16 is carried as its 16 raw bits and converted by hand (round to nearest even, as PyTorch does).
#pragma once

struct srt_bf16 { unsigned short bits; };

__device__ __forceinline__ float srt_to_float(float v) { return v; }
__device__ __forceinline__ float srt_to_float(srt_bf16 v) { return __uint_as_float(((unsigned int)v.bits) << 16); }

template <typename T> __device__ __forceinline__ T srt_from_float(float v);

template <> __device__ __forceinline__ float srt_from_float<float>(float v) { return v; }

template <> __device__ __forceinline__ srt_bf16 srt_from_float<srt_bf16>(float v)
{
    srt_bf16 r;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    // One conversion instruction on Ampere and later (round to nearest even, NaN stays NaN).
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(r.bits) : "f"(v));
#else
    unsigned int u = __float_as_uint(v);
    if ((u & 0x7fffffffu) > 0x7f800000u) { r.bits = 0x7fc0; return r; }  // keep NaN a NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    r.bits = (unsigned short)(u >> 16);
#endif
    return r;
}

// N elements loaded or stored as one access; 16 bytes for the vectorized variants (4 floats or 8 bf16).
template <typename T, int N> struct alignas(sizeof(T) * N) srt_vec { T v[N]; };

__device__ __forceinline__ float srt_warp_sum(float v)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

// Sum over the block (blockDim.x a multiple of 32); every thread gets the total. scratch holds 32 floats.
__device__ __forceinline__ float srt_block_sum(float v, float* scratch)
{
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    v = srt_warp_sum(v);
    __syncthreads();  // a previous call may still be reading scratch
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    const int warps = (blockDim.x + 31) >> 5;
    v = lane < warps ? scratch[lane] : 0.0f;
    return srt_warp_sum(v);
}
