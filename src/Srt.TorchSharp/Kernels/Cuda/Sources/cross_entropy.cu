// Cross-entropy over the rows of one chunk of logits x [rows, vocab] (contiguous), in place:
//   nll[r] = logsumexp(x[r]) - x[r][t[r]]                                             (float32)
//   x[r]  <- (softmax(x[r]) - onehot(t[r])) * scale * (row_scale ? row_scale[r] : 1)  (when gradient != 0)
// computed in float32 and rounded once to the logits' type, so x ends up holding d(loss)/d(logits) for the matmuls
// that follow. One block per row (grid-stride): pass 1 keeps a running maximum and a sum rescaled to it per thread
// (one read of the row), then combines them over the block; pass 2 reads the row again and writes the gradient.
#include "srt_common.cuh"

#define SRT_NEG_INF __int_as_float(0xff800000u)

struct srt_max_sum { float m; float s; };

// The pair for the union of two sets of values: the larger maximum, each sum rescaled to it.
__device__ __forceinline__ srt_max_sum srt_max_sum_combine(srt_max_sum a, srt_max_sum b)
{
    const float m = fmaxf(a.m, b.m);
    if (m == SRT_NEG_INF) return a;  // both empty (or all -inf): nothing to rescale
    srt_max_sum r;
    r.m = m;
    r.s = a.s * expf(a.m - m) + b.s * expf(b.m - m);
    return r;
}

__device__ __forceinline__ void srt_max_sum_add(srt_max_sum& acc, float v)
{
    if (v > acc.m) {
        acc.s = acc.s * expf(acc.m - v) + 1.0f;
        acc.m = v;
    } else if (v > SRT_NEG_INF) {  // a -inf logit adds nothing (and -inf - -inf would be NaN)
        acc.s += expf(v - acc.m);
    }
}

// Combines the pairs of a warp; every lane gets the warp's total.
__device__ __forceinline__ srt_max_sum srt_warp_max_sum(srt_max_sum v)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        srt_max_sum other;
        other.m = __shfl_xor_sync(0xffffffffu, v.m, offset);
        other.s = __shfl_xor_sync(0xffffffffu, v.s, offset);
        v = srt_max_sum_combine(v, other);
    }
    return v;
}

// Combines the pairs of the whole block (blockDim.x a multiple of 32); every thread gets the total.
// scratch holds 64 floats (maxima, then sums).
__device__ __forceinline__ srt_max_sum srt_block_max_sum(srt_max_sum v, float* scratch)
{
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    v = srt_warp_max_sum(v);
    __syncthreads();  // a previous row may still be reading scratch
    if (lane == 0) {
        scratch[warp] = v.m;
        scratch[32 + warp] = v.s;
    }
    __syncthreads();
    const int warps = (blockDim.x + 31) >> 5;
    srt_max_sum total;
    total.m = lane < warps ? scratch[lane] : SRT_NEG_INF;
    total.s = lane < warps ? scratch[32 + lane] : 0.0f;
    return srt_warp_max_sum(total);
}

template <typename T, int N>
__device__ __forceinline__ void cross_entropy_rows(T* __restrict__ x, const long long* __restrict__ targets,
                                                   const float* __restrict__ row_scale, float scale,
                                                   float* __restrict__ nll, int rows, int vocab, int gradient)
{
    typedef srt_vec<T, N> V;
    __shared__ float scratch[64];
    const int vectors = vocab / N;  // the launcher picks N > 1 only when vocab % N == 0
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        T* xr = x + row * (long long)vocab;
        V* xv = reinterpret_cast<V*>(xr);
        const long long t = targets[row];
        const bool valid = t >= 0 && t < vocab;
        // Read by the thread that writes nll, before the block's first barrier; pass 2 overwrites the row after it.
        const float target_logit = threadIdx.x == 0 && valid ? srt_to_float(xr[t]) : 0.0f;

        srt_max_sum acc;
        acc.m = SRT_NEG_INF;
        acc.s = 0.0f;
        for (int i = threadIdx.x; i < vectors; i += blockDim.x) {
            const V a = xv[i];
#pragma unroll
            for (int k = 0; k < N; ++k) srt_max_sum_add(acc, srt_to_float(a.v[k]));
        }
        const srt_max_sum total = srt_block_max_sum(acc, scratch);
        const float lse = total.m + logf(total.s);
        if (threadIdx.x == 0) nll[row] = valid ? lse - target_logit : __int_as_float(0x7fc00000u);
        if (!gradient) continue;

        const float sc = scale * (row_scale != 0 ? row_scale[row] : 1.0f);
        for (int i = threadIdx.x; i < vectors; i += blockDim.x) {
            const V a = xv[i];
            V o;
#pragma unroll
            for (int k = 0; k < N; ++k) {
                const long long column = (long long)i * N + k;
                float g = expf(srt_to_float(a.v[k]) - lse);
                if (column == t) g -= 1.0f;
                o.v[k] = srt_from_float<T>(g * sc);
            }
            xv[i] = o;
        }
    }
}

#define SRT_CROSS_ENTROPY_ENTRY(NAME, T, N)                                                                         \
    extern "C" __global__ void srt_ce_rows_##NAME##_v##N(T* x, const long long* targets, const float* row_scale,   \
                                                         float scale, float* nll, int rows, int vocab, int gradient) \
    {                                                                                                               \
        cross_entropy_rows<T, N>(x, targets, row_scale, scale, nll, rows, vocab, gradient);                         \
    }

SRT_CROSS_ENTROPY_ENTRY(f32, float, 1)
SRT_CROSS_ENTROPY_ENTRY(f32, float, 4)
SRT_CROSS_ENTROPY_ENTRY(bf16, srt_bf16, 1)
SRT_CROSS_ENTROPY_ENTRY(bf16, srt_bf16, 8)
