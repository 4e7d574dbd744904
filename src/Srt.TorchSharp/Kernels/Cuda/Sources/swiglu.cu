// SwiGLU: y = silu(gate) * up, silu(g) = g * sigmoid(g); all [n] contiguous, computed in float32.
// Backward: dgate = dy * up * s * (1 + g * (1 - s)) with s = sigmoid(g);  dup = dy * silu(g).
// Grid-stride over 16-byte vectors; the n % N tail elements are handled one per thread afterwards.
#include "srt_common.cuh"

__device__ __forceinline__ float srt_sigmoid(float g) { return 1.0f / (1.0f + __expf(-g)); }

template <typename T, int N>
__device__ __forceinline__ void swiglu_forward(const T* __restrict__ gate, const T* __restrict__ up, T* __restrict__ y,
                                               long long n)
{
    typedef srt_vec<T, N> V;
    const long long vectors = n / N;
    const long long start = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long stride = (long long)gridDim.x * blockDim.x;
    const V* gv = reinterpret_cast<const V*>(gate);
    const V* uv = reinterpret_cast<const V*>(up);
    V* yv = reinterpret_cast<V*>(y);
    for (long long i = start; i < vectors; i += stride) {
        const V g = gv[i], u = uv[i];
        V o;
#pragma unroll
        for (int k = 0; k < N; ++k) {
            const float gf = srt_to_float(g.v[k]);
            o.v[k] = srt_from_float<T>(gf * srt_sigmoid(gf) * srt_to_float(u.v[k]));
        }
        yv[i] = o;
    }
    const long long tail = vectors * N + start;
    if (tail < n) {
        const float gf = srt_to_float(gate[tail]);
        y[tail] = srt_from_float<T>(gf * srt_sigmoid(gf) * srt_to_float(up[tail]));
    }
}

template <typename T, int N>
__device__ __forceinline__ void swiglu_backward(const T* __restrict__ dy, const T* __restrict__ gate,
                                                const T* __restrict__ up, T* __restrict__ dgate, T* __restrict__ dup,
                                                long long n)
{
    typedef srt_vec<T, N> V;
    const long long vectors = n / N;
    const long long start = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long stride = (long long)gridDim.x * blockDim.x;
    const V* dyv = reinterpret_cast<const V*>(dy);
    const V* gv = reinterpret_cast<const V*>(gate);
    const V* uv = reinterpret_cast<const V*>(up);
    V* dgv = reinterpret_cast<V*>(dgate);
    V* duv = reinterpret_cast<V*>(dup);
    for (long long i = start; i < vectors; i += stride) {
        const V d = dyv[i], g = gv[i], u = uv[i];
        V og, ou;
#pragma unroll
        for (int k = 0; k < N; ++k) {
            const float df = srt_to_float(d.v[k]);
            const float gf = srt_to_float(g.v[k]);
            const float s = srt_sigmoid(gf);
            og.v[k] = srt_from_float<T>(df * srt_to_float(u.v[k]) * s * (1.0f + gf * (1.0f - s)));
            ou.v[k] = srt_from_float<T>(df * gf * s);
        }
        dgv[i] = og;
        duv[i] = ou;
    }
    const long long tail = vectors * N + start;
    if (tail < n) {
        const float df = srt_to_float(dy[tail]);
        const float gf = srt_to_float(gate[tail]);
        const float s = srt_sigmoid(gf);
        dgate[tail] = srt_from_float<T>(df * srt_to_float(up[tail]) * s * (1.0f + gf * (1.0f - s)));
        dup[tail] = srt_from_float<T>(df * gf * s);
    }
}

#define SRT_SWIGLU_ENTRIES(NAME, T, N)                                                                              \
    extern "C" __global__ void srt_swiglu_fwd_##NAME##_v##N(const T* gate, const T* up, T* y, long long n)          \
    {                                                                                                               \
        swiglu_forward<T, N>(gate, up, y, n);                                                                       \
    }                                                                                                               \
    extern "C" __global__ void srt_swiglu_bwd_##NAME##_v##N(const T* dy, const T* gate, const T* up, T* dgate,      \
                                                            T* dup, long long n)                                    \
    {                                                                                                               \
        swiglu_backward<T, N>(dy, gate, up, dgate, dup, n);                                                         \
    }

SRT_SWIGLU_ENTRIES(f32, float, 1)
SRT_SWIGLU_ENTRIES(f32, float, 4)
SRT_SWIGLU_ENTRIES(bf16, srt_bf16, 1)
SRT_SWIGLU_ENTRIES(bf16, srt_bf16, 8)
