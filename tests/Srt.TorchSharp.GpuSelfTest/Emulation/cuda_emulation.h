// Just enough of CUDA's device environment to run one of Srt's row kernels on the CPU, one std::thread per CUDA
// thread, one block at a time: thread and block indices, __syncthreads (a std::barrier over the block), warp shuffles
// (through a block-wide exchange buffer between two barriers, which is exact when every thread calls them together,
// as the kernels do), __shared__ (a static, shared by the block's threads) and the bit casts. No timing, no warps
// running ahead of each other: it checks a kernel's arithmetic and control flow, not its speed or its memory model.
#pragma once
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#define __device__
#define __global__
#define __forceinline__ inline
#define __restrict__
#define __shared__ static

struct srt_dim3 { unsigned int x = 0, y = 0, z = 0; };
inline thread_local srt_dim3 threadIdx;
inline thread_local srt_dim3 blockIdx;
inline srt_dim3 blockDim;
inline srt_dim3 gridDim;

inline std::barrier<>* srt_block_barrier = nullptr;
inline std::vector<float> srt_exchange;

inline void __syncthreads() { srt_block_barrier->arrive_and_wait(); }

inline float __shfl_xor_sync(unsigned int, float value, int offset)
{
    srt_exchange[threadIdx.x] = value;
    __syncthreads();
    const unsigned int lane = threadIdx.x & 31u;
    const float other = srt_exchange[(threadIdx.x & ~31u) | (lane ^ (unsigned int)offset)];
    __syncthreads();
    return other;
}

inline float __int_as_float(int v) { float f; std::memcpy(&f, &v, 4); return f; }
inline float __uint_as_float(unsigned int v) { float f; std::memcpy(&f, &v, 4); return f; }
inline unsigned int __float_as_uint(float f) { unsigned int v; std::memcpy(&v, &f, 4); return v; }

// Runs kernel() for every thread of every block, blocks one after another.
inline void srt_launch(unsigned int grid, unsigned int block, const std::function<void()>& kernel)
{
    gridDim = {grid, 1, 1};
    blockDim = {block, 1, 1};
    srt_exchange.assign(block, 0.0f);
    for (unsigned int b = 0; b < grid; ++b) {
        std::barrier<> barrier((std::ptrdiff_t)block);
        srt_block_barrier = &barrier;
        std::vector<std::thread> threads;
        threads.reserve(block);
        for (unsigned int t = 0; t < block; ++t) {
            threads.emplace_back([=, &kernel] {
                threadIdx = {t, 0, 0};
                blockIdx = {b, 0, 0};
                kernel();
            });
        }
        for (auto& thread : threads) thread.join();
    }
}
