// RMSNorm over the last dimension: y = x * rsqrt(mean(x^2) + eps) * w, computed in float32.
// x, y, dy, dx: [rows, cols] contiguous; w, dw: [cols]; rstd: [rows] float32 (saved by forward for backward).
#include "srt_common.cuh"

// Rows of up to SRT_ROW_CACHE vectors per thread are read once into registers (one pass over x: more loads in
// flight, no second read); longer rows take the two-pass loop.
#define SRT_ROW_CACHE 4

template <typename T, int N>
__device__ __forceinline__ void rmsnorm_forward(const T* __restrict__ x, const T* __restrict__ w, T* __restrict__ y,
                                                float* __restrict__ rstd, int rows, int cols, float eps)
{
    typedef srt_vec<T, N> V;
    __shared__ float scratch[32];
    const int vectors = cols / N;
    const V* wv = reinterpret_cast<const V*>(w);
    const bool cached = vectors <= SRT_ROW_CACHE * (int)blockDim.x;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const V* xr = reinterpret_cast<const V*>(x + row * cols);
        V* yr = reinterpret_cast<V*>(y + row * cols);
        float sum = 0.0f;
        if (cached) {
            V cache[SRT_ROW_CACHE];
#pragma unroll
            for (int c = 0; c < SRT_ROW_CACHE; ++c) {
                const int i = threadIdx.x + c * blockDim.x;
                if (i < vectors) cache[c] = xr[i];
            }
            float part[SRT_ROW_CACHE];  // independent sums: no long chain of dependent adds
#pragma unroll
            for (int c = 0; c < SRT_ROW_CACHE; ++c) {
                const int i = threadIdx.x + c * blockDim.x;
                part[c] = 0.0f;
                if (i < vectors) {
#pragma unroll
                    for (int k = 0; k < N; ++k) { float f = srt_to_float(cache[c].v[k]); part[c] += f * f; }
                }
            }
#pragma unroll
            for (int c = 0; c < SRT_ROW_CACHE; ++c) sum += part[c];
            sum = srt_block_sum(sum, scratch);
            const float r = rsqrtf(sum / (float)cols + eps);
            if (threadIdx.x == 0) rstd[row] = r;
#pragma unroll
            for (int c = 0; c < SRT_ROW_CACHE; ++c) {
                const int i = threadIdx.x + c * blockDim.x;
                if (i < vectors) {
                    const V b = wv[i];
                    V o;
#pragma unroll
                    for (int k = 0; k < N; ++k) o.v[k] = srt_from_float<T>(srt_to_float(cache[c].v[k]) * r * srt_to_float(b.v[k]));
                    yr[i] = o;
                }
            }
            continue;
        }
        for (int i = threadIdx.x; i < vectors; i += blockDim.x) {
            V a = xr[i];
#pragma unroll
            for (int k = 0; k < N; ++k) { float f = srt_to_float(a.v[k]); sum += f * f; }
        }
        sum = srt_block_sum(sum, scratch);
        const float r = rsqrtf(sum / (float)cols + eps);
        if (threadIdx.x == 0) rstd[row] = r;
        // The second read of the row is served from L1/L2.
        for (int i = threadIdx.x; i < vectors; i += blockDim.x) {
            V a = xr[i];
            V b = wv[i];
            V o;
#pragma unroll
            for (int k = 0; k < N; ++k) o.v[k] = srt_from_float<T>(srt_to_float(a.v[k]) * r * srt_to_float(b.v[k]));
            yr[i] = o;
        }
    }
}

// Sums R values over the block at once (one pair of barriers for all); scratch holds 32 * R floats.
template <int R>
__device__ __forceinline__ void srt_block_sum_n(float (&v)[R], float* scratch)
{
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
#pragma unroll
    for (int q = 0; q < R; ++q) v[q] = srt_warp_sum(v[q]);
    __syncthreads();
    if (lane == 0) {
#pragma unroll
        for (int q = 0; q < R; ++q) scratch[q * 32 + warp] = v[q];
    }
    __syncthreads();
    const int warps = (blockDim.x + 31) >> 5;
#pragma unroll
    for (int q = 0; q < R; ++q) v[q] = srt_warp_sum(lane < warps ? scratch[q * 32 + lane] : 0.0f);
}

// R rows per step: their loads are issued together and their dot products reduced together, so each block has
// R rows in flight and pays one reduction per R rows.
template <typename T, int N, int R>
__device__ __forceinline__ void rmsnorm_backward_cached(const T* __restrict__ dy, const T* __restrict__ x,
                                                        const T* __restrict__ w, const float* __restrict__ rstd,
                                                        T* __restrict__ dx, float* __restrict__ dw_partial, int rows,
                                                        int cols, float* scratch)
{
    // Each thread owns the same vectors of every row, so w and this block's dw share live in registers.
    typedef srt_vec<T, N> V;
    const int vectors = cols / N;
    const V* wv = reinterpret_cast<const V*>(w);
    V wc[SRT_ROW_CACHE];  // kept packed: half the registers of float32 for bf16
    float acc[SRT_ROW_CACHE][N];
#pragma unroll
    for (int c = 0; c < SRT_ROW_CACHE; ++c) {
        const int i = threadIdx.x + c * blockDim.x;
        if (i < vectors) wc[c] = wv[i];
#pragma unroll
        for (int k = 0; k < N; ++k) acc[c][k] = 0.0f;
    }
    for (long long row0 = (long long)blockIdx.x * R; row0 < rows; row0 += (long long)gridDim.x * R) {
        V gc[R][SRT_ROW_CACHE], xc[R][SRT_ROW_CACHE];
        float r[R], dot[R];
#pragma unroll
        for (int q = 0; q < R; ++q) {
            const long long row = row0 + q;
            const V* dyr = reinterpret_cast<const V*>(dy + row * cols);
            const V* xr = reinterpret_cast<const V*>(x + row * cols);
#pragma unroll
            for (int c = 0; c < SRT_ROW_CACHE; ++c) {
                const int i = threadIdx.x + c * blockDim.x;
                if (row < rows && i < vectors) { gc[q][c] = dyr[i]; xc[q][c] = xr[i]; }
            }
            r[q] = row < rows ? rstd[row] : 0.0f;
        }
#pragma unroll
        for (int q = 0; q < R; ++q) {
            float part[SRT_ROW_CACHE];  // independent sums: no long chain of dependent adds
#pragma unroll
            for (int c = 0; c < SRT_ROW_CACHE; ++c) {
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
            for (int c = 0; c < SRT_ROW_CACHE; ++c) dot[q] += part[c];
        }
        srt_block_sum_n<R>(dot, scratch);
#pragma unroll
        for (int q = 0; q < R; ++q) {
            const long long row = row0 + q;
            if (row >= rows) continue;
            const float coef = dot[q] * r[q] * r[q] * r[q] / (float)cols;
            V* dxr = reinterpret_cast<V*>(dx + row * cols);
#pragma unroll
            for (int c = 0; c < SRT_ROW_CACHE; ++c) {
                const int i = threadIdx.x + c * blockDim.x;
                if (i < vectors) {
                    V o;
#pragma unroll
                    for (int k = 0; k < N; ++k) {
                        const float gf = srt_to_float(gc[q][c].v[k]);
                        const float xf = srt_to_float(xc[q][c].v[k]);
                        o.v[k] = srt_from_float<T>(r[q] * gf * srt_to_float(wc[c].v[k]) - coef * xf);
                        acc[c][k] += gf * xf * r[q];
                    }
                    dxr[i] = o;
                }
            }
        }
    }
    float* out = dw_partial + (long long)blockIdx.x * cols;
#pragma unroll
    for (int c = 0; c < SRT_ROW_CACHE; ++c) {
        const int i = threadIdx.x + c * blockDim.x;
        if (i < vectors) {
#pragma unroll
            for (int k = 0; k < N; ++k) out[i * N + k] = acc[c][k];
        }
    }
}

// dx = r * (dy * w) - x * r^3 / cols * sum(dy * w * x);  dw = sum over rows of dy * x * r.
// Each block handles rows blockIdx.x, blockIdx.x + gridDim.x, ... and keeps its share of dw (in registers when the
// row fits SRT_ROW_CACHE vectors per thread; else in shared memory, cols floats, each column owned by one thread,
// laid out [k][vector] so a warp hits distinct banks); it writes that share to dw_partial[blockIdx.x], and
// rmsnorm_dw_reduce sums the shares. No atomics, so the result does not depend on scheduling.
template <typename T, int N, int R>
__device__ __forceinline__ void rmsnorm_backward(const T* __restrict__ dy, const T* __restrict__ x,
                                                 const T* __restrict__ w, const float* __restrict__ rstd,
                                                 T* __restrict__ dx, float* __restrict__ dw_partial, int rows, int cols)
{
    typedef srt_vec<T, N> V;
    extern __shared__ float dw_acc[];
    __shared__ float scratch[32 * R];
    const int vectors = cols / N;
    if (vectors <= SRT_ROW_CACHE * (int)blockDim.x) {
        rmsnorm_backward_cached<T, N, R>(dy, x, w, rstd, dx, dw_partial, rows, cols, scratch);
        return;
    }
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
            V g = dyr[i], a = xr[i], b = wv[i], o;
#pragma unroll
            for (int k = 0; k < N; ++k) {
                const float gf = srt_to_float(g.v[k]);
                const float xf = srt_to_float(a.v[k]);
                o.v[k] = srt_from_float<T>(r * gf * srt_to_float(b.v[k]) - coef * xf);
                dw_acc[k * vectors + i] += gf * xf * r;
            }
            dxr[i] = o;
        }
    }
    float* out = dw_partial + (long long)blockIdx.x * cols;
    for (int i = threadIdx.x; i < vectors; i += blockDim.x) {
#pragma unroll
        for (int k = 0; k < N; ++k) out[i * N + k] = dw_acc[k * vectors + i];
    }
}

// dw[c] = sum over p of partial[p, c]. Block (32, 32): 32 columns, 32 threads down the parts, each keeping four
// independent sums so that four loads are in flight instead of one chain of dependent ones; then a shared sum.
template <typename T>
__device__ __forceinline__ void rmsnorm_dw_reduce(const float* __restrict__ partial, T* __restrict__ dw, int parts, int cols)
{
    __shared__ float sums[32][33];
    const int c = blockIdx.x * 32 + threadIdx.x;
    const int step = blockDim.y;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    if (c < cols) {
        int p = threadIdx.y;
        for (; p + 3 * step < parts; p += 4 * step) {
            s0 += partial[(long long)p * cols + c];
            s1 += partial[(long long)(p + step) * cols + c];
            s2 += partial[(long long)(p + 2 * step) * cols + c];
            s3 += partial[(long long)(p + 3 * step) * cols + c];
        }
        for (; p < parts; p += step) s0 += partial[(long long)p * cols + c];
    }
    sums[threadIdx.y][threadIdx.x] = (s0 + s1) + (s2 + s3);
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        float total = 0.0f;
        for (int j = 0; j < blockDim.y; ++j) total += sums[j][threadIdx.x];
        dw[c] = srt_from_float<T>(total);
    }
}

#define SRT_RMSNORM_BWD_ENTRY(NAME, T, N, R)                                                                         \
    extern "C" __global__ void srt_rmsnorm_bwd_##NAME##_v##N##_r##R(const T* dy, const T* x, const T* w,              \
                                                                    const float* rstd, T* dx, float* dw_partial,    \
                                                                    int rows, int cols)                             \
    {                                                                                                              \
        rmsnorm_backward<T, N, R>(dy, x, w, rstd, dx, dw_partial, rows, cols);                                     \
    }

// Backward comes in R = 1 and R = 2 rows per step (see rmsnorm_backward_cached); the launcher picks one.
#define SRT_RMSNORM_ENTRIES(NAME, T, N)                                                                              \
    extern "C" __global__ void srt_rmsnorm_fwd_##NAME##_v##N(const T* x, const T* w, T* y, float* rstd, int rows,  \
                                                             int cols, float eps)                                  \
    {                                                                                                              \
        rmsnorm_forward<T, N>(x, w, y, rstd, rows, cols, eps);                                                     \
    }                                                                                                              \
    SRT_RMSNORM_BWD_ENTRY(NAME, T, N, 1)                                                                           \
    SRT_RMSNORM_BWD_ENTRY(NAME, T, N, 2)

SRT_RMSNORM_ENTRIES(f32, float, 1)
SRT_RMSNORM_ENTRIES(f32, float, 4)
SRT_RMSNORM_ENTRIES(bf16, srt_bf16, 1)
SRT_RMSNORM_ENTRIES(bf16, srt_bf16, 8)

extern "C" __global__ void srt_rmsnorm_dw_reduce_f32(const float* partial, float* dw, int parts, int cols)
{
    rmsnorm_dw_reduce<float>(partial, dw, parts, cols);
}

extern "C" __global__ void srt_rmsnorm_dw_reduce_bf16(const float* partial, srt_bf16* dw, int parts, int cols)
{
    rmsnorm_dw_reduce<srt_bf16>(partial, dw, parts, cols);
}
