// Rotary position embedding, Hugging Face "rotate_half" convention, on x: [B, H, T, D] contiguous.
// cos, sin: float32 [CB, T, D] contiguous with CB = 1 (shared by the batch; cos_batch_stride = 0) or CB = B
// (cos_batch_stride = T * D). With x1 = x[..., :D/2], x2 = x[..., D/2:] and c, s split the same way:
//   forward:  y1 = x1 * c1 - x2 * s1;  y2 = x2 * c2 + x1 * s2
//   backward: the transpose of that map (rotation by -theta):  dx1 = dy1 * c1 + dy2 * s2;  dx2 = dy2 * c2 - dy1 * s1
// Threads map to (b, t) table rows and vectors of the half-row (block: vectors x rows); each thread reads its slice
// of the cos/sin table once and applies it to heads_per_group heads (blockIdx.y picks the group), so the float32
// tables cost a fraction of the traffic of x instead of four times it. Blocks have at most 256 threads; the bound
// asks for 3 resident blocks per multiprocessor (at most 85 registers) to keep more loads in flight.
#include "srt_common.cuh"

template <typename T, int N, bool Backward>
__device__ __forceinline__ void rotary(const T* __restrict__ x, const float* __restrict__ cos_table,
                                       const float* __restrict__ sin_table, T* __restrict__ y, unsigned int table_rows,
                                       int heads, int heads_per_group, unsigned int t_len, int d,
                                       long long cos_batch_stride)
{
    typedef srt_vec<T, N> V;
    typedef srt_vec<float, N> F;
    const int half = d / 2;
    const int vectors = half / N;
    const int head_begin = blockIdx.y * heads_per_group;
    const int head_end = min(heads, head_begin + heads_per_group);
    const long long head_stride = (long long)t_len * d;
    for (unsigned int bt0 = blockIdx.x * blockDim.y; bt0 < table_rows; bt0 += gridDim.x * blockDim.y) {
        const unsigned int bt = bt0 + threadIdx.y;
        if (bt >= table_rows) continue;
        const unsigned int b = bt / t_len;
        const unsigned int t = bt - b * t_len;
        const long long table_offset = (long long)b * cos_batch_stride + (long long)t * d;
        const float* cr = cos_table + table_offset;
        const float* sr = sin_table + table_offset;
        // Row (b, h, t) of x starts at ((b * heads + h) * t_len + t) * d.
        const long long first_row = ((long long)b * heads * t_len + t) * d;
        for (int i = threadIdx.x; i < vectors; i += blockDim.x) {
            const int j = i * N;
            const F c1 = *reinterpret_cast<const F*>(cr + j);
            const F c2 = *reinterpret_cast<const F*>(cr + j + half);
            const F s1 = *reinterpret_cast<const F*>(sr + j);
            const F s2 = *reinterpret_cast<const F*>(sr + j + half);
#pragma unroll 4
            for (int h = head_begin; h < head_end; ++h) {
                const T* xr = x + first_row + h * head_stride;
                T* yr = y + first_row + h * head_stride;
                const V a = *reinterpret_cast<const V*>(xr + j);
                const V b2 = *reinterpret_cast<const V*>(xr + j + half);
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
}

#define SRT_ROTARY_ENTRY(DIR, BACKWARD, NAME, T, N)                                                                   \
    extern "C" __global__ void __launch_bounds__(256, 3) srt_rotary_##DIR##_##NAME##_v##N(                            \
        const T* x, const float* cos_table, const float* sin_table, T* y, unsigned int table_rows, int heads,        \
        int heads_per_group, unsigned int t_len, int d, long long cos_batch_stride)                                   \
    {                                                                                                                 \
        rotary<T, N, BACKWARD>(x, cos_table, sin_table, y, table_rows, heads, heads_per_group, t_len, d,             \
                               cos_batch_stride);                                                                     \
    }

#define SRT_ROTARY_ENTRIES(NAME, T, N)          \
    SRT_ROTARY_ENTRY(fwd, false, NAME, T, N)    \
    SRT_ROTARY_ENTRY(bwd, true, NAME, T, N)

SRT_ROTARY_ENTRIES(f32, float, 1)
SRT_ROTARY_ENTRIES(f32, float, 4)
SRT_ROTARY_ENTRIES(bf16, srt_bf16, 1)
SRT_ROTARY_ENTRIES(bf16, srt_bf16, 8)
