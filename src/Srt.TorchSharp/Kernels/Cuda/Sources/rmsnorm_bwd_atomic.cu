// RMSNorm backward, "atomic dw" variant: one kernel computes dx and sums dw over all rows.
//   dx = r * (dy * w) - x * r^3 / cols * sum(dy * w * x);  dw = sum over rows of dy * x * r  (r = rstd of the row)
// rmsnorm.cu has the other variant (each block writes a partial dw row; a second kernel sums them). Here each block
// adds its float32 share of dw into ws[0, cols) with atomic adds, counts itself done in ws[cols] (as an unsigned int),
// and the last block to finish converts ws to dw. ws (cols + 4 words) must be zero at launch: the launcher clears it.
// The order in which blocks add their shares depends on scheduling, so dw's float32 rounding may differ from run to
// run (by float32 ulps, far below a bfloat16 output's rounding); dx is deterministic.
#include "srt_common.cuh"

// Vectors per thread kept in registers (as SRT_ROW_CACHE in rmsnorm.cu; the launcher's RowCache).
#define SRT_ATOMIC_ROW_CACHE 4

// N floats to one vector of T. For 8 bfloat16 on sm_80+: four cvt.rn.bf16x2.f32, each rounding two floats and
// packing them into one 32-bit word (half the conversions and no packing moves).
template <typename T, int N>
__device__ __forceinline__ srt_vec<T, N> srt_vec_from_floats(const float (&f)[N])
{
    srt_vec<T, N> o;
#pragma unroll
    for (int k = 0; k < N; ++k) o.v[k] = srt_from_float<T>(f[k]);
    return o;
}

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
template <>
__device__ __forceinline__ srt_vec<srt_bf16, 8> srt_vec_from_floats<srt_bf16, 8>(const float (&f)[8])
{
    union { srt_vec<srt_bf16, 8> vec; unsigned int words[4]; } o;
#pragma unroll
    for (int k = 0; k < 8; k += 2) {
        // The first source goes to the upper half: element k + 1 (the higher address), element k to the lower.
        asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(o.words[k / 2]) : "f"(f[k + 1]), "f"(f[k]));
    }
    return o.vec;
}
#endif

// Reads a float from L2 (ld.global.cg): the atomic adds of other blocks live there, and this block's L1 is not
// coherent with them. Volatile and ordered after the fences below.
__device__ __forceinline__ float srt_load_l2(const float* p)
{
    float v;
    asm volatile("ld.global.cg.f32 %0, [%1];" : "=f"(v) : "l"(p) : "memory");
    return v;
}

// Called by every thread of every block once its adds into ws are issued. The last block to arrive (every other
// block's adds are then visible: each thread fenced them before its block was counted) writes dw from ws.
template <typename T>
__device__ __forceinline__ void rmsnorm_dw_finish(const float* ws, T* __restrict__ dw, int cols)
{
    __shared__ int last;
    __threadfence();  // this thread's adds reach the device before its block is counted
    __syncthreads();
    if (threadIdx.x == 0) {
        __threadfence();
        unsigned int* done = (unsigned int*)(ws + cols);
        last = atomicAdd(done, 1u) == gridDim.x - 1;
        __threadfence();  // acquire: the adds counted before ours are read after this
    }
    __syncthreads();
    if (!last) return;
    // 16 independent loads in flight per thread, then 16 stores: one block reads one row (4096 columns: one or two
    // rounds of L2 latency), and this thread's registers are free now.
    for (int c0 = threadIdx.x; c0 < cols; c0 += 16 * blockDim.x) {
        float v[16];
#pragma unroll
        for (int u = 0; u < 16; ++u) {
            const int c = c0 + u * blockDim.x;
            v[u] = c < cols ? srt_load_l2(ws + c) : 0.0f;
        }
#pragma unroll
        for (int u = 0; u < 16; ++u) {
            const int c = c0 + u * blockDim.x;
            if (c < cols) dw[c] = srt_from_float<T>(v[u]);
        }
    }
}

// Rows that fit SRT_ATOMIC_ROW_CACHE vectors per thread: the row loop of rmsnorm_backward_cached (rmsnorm.cu), R
// rows per step, w and this block's dw share in registers; then the share is added to ws one slot (blockDim.x
// vectors) at a time through shared memory (stage: blockDim.x * N floats), so that a warp's 32 adds hit 32
// consecutive floats (one 128-byte line) rather than 32 floats N apart.
template <typename T, int N, int R>
__device__ __forceinline__ void rmsnorm_backward_atomic_cached(const T* __restrict__ dy, const T* __restrict__ x,
                                                               const T* __restrict__ w, const float* __restrict__ rstd,
                                                               T* __restrict__ dx, float* ws, int rows, int cols,
                                                               float* scratch, float* stage)
{
    typedef srt_vec<T, N> V;
    const int vectors = cols / N;
    const V* wv = reinterpret_cast<const V*>(w);
    V wc[SRT_ATOMIC_ROW_CACHE];  // kept packed: half the registers of float32 for bf16
    float acc[SRT_ATOMIC_ROW_CACHE][N];
#pragma unroll
    for (int c = 0; c < SRT_ATOMIC_ROW_CACHE; ++c) {
        const int i = threadIdx.x + c * blockDim.x;
        if (i < vectors) wc[c] = wv[i];
#pragma unroll
        for (int k = 0; k < N; ++k) acc[c][k] = 0.0f;
    }
    for (long long row0 = (long long)blockIdx.x * R; row0 < rows; row0 += (long long)gridDim.x * R) {
        V gc[R][SRT_ATOMIC_ROW_CACHE], xc[R][SRT_ATOMIC_ROW_CACHE];
        float r[R], dot[R];
#pragma unroll
        for (int q = 0; q < R; ++q) {
            const long long row = row0 + q;
            const V* dyr = reinterpret_cast<const V*>(dy + row * cols);
            const V* xr = reinterpret_cast<const V*>(x + row * cols);
#pragma unroll
            for (int c = 0; c < SRT_ATOMIC_ROW_CACHE; ++c) {
                const int i = threadIdx.x + c * blockDim.x;
                if (row < rows && i < vectors) { gc[q][c] = dyr[i]; xc[q][c] = xr[i]; }
            }
            r[q] = row < rows ? rstd[row] : 0.0f;
        }
#pragma unroll
        for (int q = 0; q < R; ++q) {
            float part[SRT_ATOMIC_ROW_CACHE];  // independent sums: no long chain of dependent adds
#pragma unroll
            for (int c = 0; c < SRT_ATOMIC_ROW_CACHE; ++c) {
                const int i = threadIdx.x + c * blockDim.x;
                part[c] = 0.0f;
                if (row0 + q < rows && i < vectors) {
#pragma unroll
                    for (int k = 0; k < N; ++k)
                        part[c] += srt_to_float(gc[q][c].v[k]) * srt_to_float(wc[c].v[k]) * srt_to_float(xc[q][c].v[k]);
                }
            }
            dot[q] = 0.0f;
#pragma unroll
            for (int c = 0; c < SRT_ATOMIC_ROW_CACHE; ++c) dot[q] += part[c];
        }
        srt_block_sum_n<R>(dot, scratch);
#pragma unroll
        for (int q = 0; q < R; ++q) {
            const long long row = row0 + q;
            if (row >= rows) continue;
            const float coef = dot[q] * r[q] * r[q] * r[q] / (float)cols;
            V* dxr = reinterpret_cast<V*>(dx + row * cols);
#pragma unroll
            for (int c = 0; c < SRT_ATOMIC_ROW_CACHE; ++c) {
                const int i = threadIdx.x + c * blockDim.x;
                if (i < vectors) {
                    float o[N];
#pragma unroll
                    for (int k = 0; k < N; ++k) {
                        const float gf = srt_to_float(gc[q][c].v[k]);
                        const float xf = srt_to_float(xc[q][c].v[k]);
                        o[k] = r[q] * gf * srt_to_float(wc[c].v[k]) - coef * xf;
                        acc[c][k] += gf * xf * r[q];
                    }
                    dxr[i] = srt_vec_from_floats<T, N>(o);
                }
            }
        }
    }
#pragma unroll
    for (int c = 0; c < SRT_ATOMIC_ROW_CACHE; ++c) {
        const int base = c * blockDim.x;  // first vector of this slot; the same in every thread
        if (base < vectors) {
            __syncthreads();  // the previous slot's adds have finished reading stage
            if (base + (int)threadIdx.x < vectors) {
#pragma unroll
                for (int k = 0; k < N; ++k) stage[threadIdx.x * N + k] = acc[c][k];
            }
            __syncthreads();
            const int count = min((int)blockDim.x, vectors - base) * N;
            float* target = ws + (long long)base * N;
            for (int j = threadIdx.x; j < count; j += blockDim.x) atomicAdd(target + j, stage[j]);
        }
    }
}

// Rows longer than SRT_ATOMIC_ROW_CACHE vectors per thread keep this block's dw share in shared memory (dw_acc: cols
// floats laid out [k][vector], each column owned by one thread), as in rmsnorm.cu, then add it to ws column by column.
template <typename T, int N, int R>
__device__ __forceinline__ void rmsnorm_backward_atomic(const T* __restrict__ dy, const T* __restrict__ x,
                                                        const T* __restrict__ w, const float* __restrict__ rstd,
                                                        T* __restrict__ dx, T* __restrict__ dw, float* ws, int rows,
                                                        int cols)
{
    typedef srt_vec<T, N> V;
    extern __shared__ float dynamic_shared[];  // stage (cached rows) or dw_acc (long rows); the launcher sizes it
    __shared__ float scratch[32 * R];
    const int vectors = cols / N;
    if (vectors <= SRT_ATOMIC_ROW_CACHE * (int)blockDim.x) {
        rmsnorm_backward_atomic_cached<T, N, R>(dy, x, w, rstd, dx, ws, rows, cols, scratch, dynamic_shared);
        rmsnorm_dw_finish<T>(ws, dw, cols);
        return;
    }
    float* dw_acc = dynamic_shared;
    const V* wv = reinterpret_cast<const V*>(w);
    for (int i = threadIdx.x; i < vectors; i += blockDim.x) {
#pragma unroll
        for (int k = 0; k < N; ++k) dw_acc[k * vectors + i] = 0.0f;
    }
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const V* dyr = reinterpret_cast<const V*>(dy + row * cols);
        const V* xr = reinterpret_cast<const V*>(x + row * cols);
        const float r = rstd[row];
        float dot = 0.0f;
        for (int i = threadIdx.x; i < vectors; i += blockDim.x) {
            V g = dyr[i], a = xr[i], b = wv[i];
#pragma unroll
            for (int k = 0; k < N; ++k) dot += srt_to_float(g.v[k]) * srt_to_float(b.v[k]) * srt_to_float(a.v[k]);
        }
        dot = srt_block_sum(dot, scratch);
        const float coef = dot * r * r * r / (float)cols;
        V* dxr = reinterpret_cast<V*>(dx + row * cols);
        for (int i = threadIdx.x; i < vectors; i += blockDim.x) {
            V g = dyr[i], a = xr[i], b = wv[i];
            float o[N];
#pragma unroll
            for (int k = 0; k < N; ++k) {
                const float gf = srt_to_float(g.v[k]);
                const float xf = srt_to_float(a.v[k]);
                o[k] = r * gf * srt_to_float(b.v[k]) - coef * xf;
                dw_acc[k * vectors + i] += gf * xf * r;
            }
            dxr[i] = srt_vec_from_floats<T, N>(o);
        }
    }
    __syncthreads();  // every column's share is complete before other threads read it
    for (int j = threadIdx.x; j < cols; j += blockDim.x) atomicAdd(ws + j, dw_acc[(j % N) * vectors + j / N]);
    rmsnorm_dw_finish<T>(ws, dw, cols);
}

#define SRT_RMSNORM_BWD_ATOMIC_ENTRY(NAME, T, N, R)                                                                  \
    extern "C" __global__ void srt_rmsnorm_bwd_atomic_##NAME##_v##N##_r##R(const T* dy, const T* x, const T* w,       \
                                                                           const float* rstd, T* dx, T* dw,        \
                                                                           float* ws, int rows, int cols)          \
    {                                                                                                              \
        rmsnorm_backward_atomic<T, N, R>(dy, x, w, rstd, dx, dw, ws, rows, cols);                                  \
    }

#define SRT_RMSNORM_BWD_ATOMIC_ENTRIES(NAME, T, N)                                                                   \
    SRT_RMSNORM_BWD_ATOMIC_ENTRY(NAME, T, N, 1)                                                                    \
    SRT_RMSNORM_BWD_ATOMIC_ENTRY(NAME, T, N, 2)

SRT_RMSNORM_BWD_ATOMIC_ENTRIES(f32, float, 1)
SRT_RMSNORM_BWD_ATOMIC_ENTRIES(f32, float, 4)
SRT_RMSNORM_BWD_ATOMIC_ENTRIES(bf16, srt_bf16, 1)
SRT_RMSNORM_BWD_ATOMIC_ENTRIES(bf16, srt_bf16, 8)
