// Rotary position embedding, Hugging Face "rotate_half" convention, on x: [B, H, T, D] contiguous.
// cos, sin: float32 [CB, T, D] contiguous with CB = 1 (shared by the batch; cos_batch_stride = 0) or CB = B
// (cos_batch_stride = T * D). With x1 = x[..., :D/2], x2 = x[..., D/2:] and c, s split the same way:
//   forward:  y1 = x1 * c1 - x2 * s1;  y2 = x2 * c2 + x1 * s2
//   backward: the transpose of that map (rotation by -theta):  dx1 = dy1 * c1 + dy2 * s2;  dx2 = dy2 * c2 - dy1 * s1
// Block (vectors per half-row, rows per block); blocks stride over the B*H*T rows.
#include "srt_common.cuh"

template <typename T, int N, bool Backward>
__device__ __forceinline__ void rotary(const T* __restrict__ x, const float* __restrict__ cos_table,
                                       const float* __restrict__ sin_table, T* __restrict__ y, unsigned int rows,
                                       unsigned int heads_times_t, unsigned int t_len, int d,
                                       long long cos_batch_stride)
{
    typedef srt_vec<T, N> V;
    typedef srt_vec<float, N> F;
    const int half = d / 2;
    const int vectors = half / N;
    for (unsigned int row0 = blockIdx.x * blockDim.y; row0 < rows; row0 += gridDim.x * blockDim.y) {
        const unsigned int row = row0 + threadIdx.y;
        if (row >= rows) continue;
        const unsigned int t = row % t_len;
        const unsigned int b = row / heads_times_t;
        const long long table_offset = (long long)b * cos_batch_stride + (long long)t * d;
        const float* cr = cos_table + table_offset;
        const float* sr = sin_table + table_offset;
        const T* xr = x + (long long)row * d;
        T* yr = y + (long long)row * d;
        for (int i = threadIdx.x; i < vectors; i += blockDim.x) {
            const int j = i * N;
            const V a = *reinterpret_cast<const V*>(xr + j);
            const V b2 = *reinterpret_cast<const V*>(xr + j + half);
            const F c1 = *reinterpret_cast<const F*>(cr + j);
            const F c2 = *reinterpret_cast<const F*>(cr + j + half);
            const F s1 = *reinterpret_cast<const F*>(sr + j);
            const F s2 = *reinterpret_cast<const F*>(sr + j + half);
            V o1, o2;
#pragma unroll
            for (int k = 0; k < N; ++k) {
                const float x1 = srt_to_float(a.v[k]);
                const float x2 = srt_to_float(b2.v[k]);
                float y1, y2;
                if (Backward) {
                    y1 = x1 * c1.v[k] + x2 * s2.v[k];
                    y2 = x2 * c2.v[k] - x1 * s1.v[k];
                } else {
                    y1 = x1 * c1.v[k] - x2 * s1.v[k];
                    y2 = x2 * c2.v[k] + x1 * s2.v[k];
                }
                o1.v[k] = srt_from_float<T>(y1);
                o2.v[k] = srt_from_float<T>(y2);
            }
            *reinterpret_cast<V*>(yr + j) = o1;
            *reinterpret_cast<V*>(yr + j + half) = o2;
        }
    }
}

#define SRT_ROTARY_ENTRIES(NAME, T, N)                                                                                \
    extern "C" __global__ void srt_rotary_fwd_##NAME##_v##N(const T* x, const float* cos_table, const float* sin_table, \
                                                            T* y, unsigned int rows, unsigned int heads_times_t,       \
                                                            unsigned int t_len, int d, long long cos_batch_stride)     \
    {                                                                                                                 \
        rotary<T, N, false>(x, cos_table, sin_table, y, rows, heads_times_t, t_len, d, cos_batch_stride);             \
    }                                                                                                                 \
    extern "C" __global__ void srt_rotary_bwd_##NAME##_v##N(const T* x, const float* cos_table, const float* sin_table, \
                                                            T* y, unsigned int rows, unsigned int heads_times_t,       \
                                                            unsigned int t_len, int d, long long cos_batch_stride)     \
    {                                                                                                                 \
        rotary<T, N, true>(x, cos_table, sin_table, y, rows, heads_times_t, t_len, d, cos_batch_stride);              \
    }

SRT_ROTARY_ENTRIES(f32, float, 1)
SRT_ROTARY_ENTRIES(f32, float, 4)
SRT_ROTARY_ENTRIES(bf16, srt_bf16, 1)
SRT_ROTARY_ENTRIES(bf16, srt_bf16, 8)
