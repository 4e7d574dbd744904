// Runs cross_entropy.cu on the CPU under cuda_emulation.h and checks it against float64, for the same cases as the GPU
// self-test's CrossEntropyCheck (the large timed ones left out). Prints one JSON line per check; exit code 1 if any
// check fails. Build and run: tests/Srt.TorchSharp.GpuSelfTest/Emulation/run.sh
#include "cuda_emulation.h"
#include "cross_entropy.cu"

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

namespace {

unsigned short to_bf16(float value)
{
    unsigned int bits = __float_as_uint(value);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (unsigned short)(bits >> 16);
}

float from_bf16(unsigned short bits) { return __uint_as_float(((unsigned int)bits) << 16); }

double relative_error(const std::vector<double>& actual, const std::vector<double>& expected)
{
    double difference = 0, norm = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
        if (!std::isfinite(actual[i])) return INFINITY;
        difference += (actual[i] - expected[i]) * (actual[i] - expected[i]);
        norm += expected[i] * expected[i];
    }
    return norm == 0 ? std::sqrt(difference) : std::sqrt(difference / norm);
}

int failures = 0;

void report(const char* type, int rows, int vocab, bool scaled, int offset, int width, const char* output, double error, double bound)
{
    const bool ok = error <= bound;
    failures += ok ? 0 : 1;
    std::printf("{\"kernel\":\"ce.rows\",\"type\":\"%s\",\"rows\":%d,\"vocab\":%d,\"row_scaled\":%s,\"offset\":%d,\"vector_width\":%d,"
                "\"output\":\"%s\",\"rel_error\":%.3e,\"bound\":%.0e,\"ok\":%s}\n",
                type, rows, vocab, scaled ? "true" : "false", offset, width, output, error, bound, ok ? "true" : "false");
}

// One case in element type T (float or srt_bf16) with vector width N for aligned rows of a multiple of N.
template <typename T, int N>
void run_case(int rows, int vocab, bool scaled, int offset, unsigned int seed)
{
    const bool bf16 = sizeof(T) == 2;
    const float scale = 0.37f;
    std::mt19937 random(seed);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    const size_t count = (size_t)rows * vocab;

    std::vector<float> logits(count);
    for (auto& v : logits) v = bf16 ? from_bf16(to_bf16(normal(random))) : normal(random);
    std::vector<long long> targets(rows);
    for (auto& t : targets) t = (long long)(random() % (unsigned int)vocab);
    targets[0] = vocab - 1;
    std::vector<float> factors(rows);
    for (auto& f : factors) f = normal(random) / 3.0f;

    std::vector<double> nll_ref(rows), grad_ref(count);
    for (int r = 0; r < rows; ++r) {
        const float* row = logits.data() + (size_t)r * vocab;
        double max = -INFINITY, sum = 0;
        for (int j = 0; j < vocab; ++j) max = std::max(max, (double)row[j]);
        for (int j = 0; j < vocab; ++j) sum += std::exp(row[j] - max);
        const double lse = max + std::log(sum);
        nll_ref[r] = lse - row[targets[r]];
        const double factor = scale * (scaled ? factors[r] : 1.0);
        for (int j = 0; j < vocab; ++j) grad_ref[(size_t)r * vocab + j] = (std::exp(row[j] - lse) - (j == targets[r] ? 1.0 : 0.0)) * factor;
    }

    // Device-like buffer: 16-byte aligned, the data starting offset elements in (then the launcher picks width 1).
    std::vector<T> storage(count + offset + 16);
    T* base = storage.data();
    while (((uintptr_t)base) % 16 != 0) ++base;
    T* x = base + offset;
    for (size_t i = 0; i < count; ++i) {
        if constexpr (sizeof(T) == 2) x[i].bits = to_bf16(logits[i]); else x[i] = logits[i];
    }

    const bool vectorized = vocab % N == 0 && ((uintptr_t)x) % 16 == 0;
    const int width = vectorized ? N : 1;
    const unsigned int block = (unsigned int)std::clamp(((vocab / width) + 31) / 32 * 32, 32, 1024);
    const unsigned int grid = (unsigned int)std::min(rows, 3);  // fewer blocks than rows: the grid-stride loop runs
    std::vector<float> nll(rows, NAN);
    auto launch = [&](int gradient) {
        srt_launch(grid, block, [&] {
            const float* row_scale = scaled ? factors.data() : nullptr;
            if constexpr (sizeof(T) == 2) {
                if (vectorized) srt_ce_rows_bf16_v8(x, targets.data(), row_scale, scale, nll.data(), rows, vocab, gradient);
                else srt_ce_rows_bf16_v1(x, targets.data(), row_scale, scale, nll.data(), rows, vocab, gradient);
            } else {
                if (vectorized) srt_ce_rows_f32_v4(x, targets.data(), row_scale, scale, nll.data(), rows, vocab, gradient);
                else srt_ce_rows_f32_v1(x, targets.data(), row_scale, scale, nll.data(), rows, vocab, gradient);
            }
        });
    };
    auto read = [&] {
        std::vector<double> values(count);
        for (size_t i = 0; i < count; ++i) {
            if constexpr (sizeof(T) == 2) values[i] = from_bf16(x[i].bits); else values[i] = x[i];
        }
        return values;
    };
    const double bound = bf16 ? 1e-2 : 1e-5;
    const char* type = bf16 ? "bf16" : "f32";

    launch(0);
    std::vector<double> logits_ref(logits.begin(), logits.end());
    report(type, rows, vocab, scaled, offset, width, "nll (loss only)", relative_error(std::vector<double>(nll.begin(), nll.end()), nll_ref), bound);
    report(type, rows, vocab, scaled, offset, width, "logits unchanged (loss only)", relative_error(read(), logits_ref), 0.0);

    std::fill(nll.begin(), nll.end(), NAN);
    launch(1);
    report(type, rows, vocab, scaled, offset, width, "nll", relative_error(std::vector<double>(nll.begin(), nll.end()), nll_ref), bound);
    report(type, rows, vocab, scaled, offset, width, "grad logits", relative_error(read(), grad_ref), bound);
}

template <typename T, int N>
void run_all()
{
    run_case<T, N>(3, 37, false, 0, 1);
    run_case<T, N>(5, 32000, true, 0, 2);
    run_case<T, N>(4, 1000, false, 1, 3);
    run_case<T, N>(2, 128256, true, 0, 4);
    run_case<T, N>(1, 8, true, 0, 5);
    run_case<T, N>(70, 4099, false, 0, 6);
    run_case<T, N>(9, 4096, true, 0, 7);
}

}  // namespace

int main()
{
    run_all<float, 4>();
    run_all<srt_bf16, 8>();
    std::printf("{\"summary\":true,\"failed\":%d}\n", failures);
    return failures == 0 ? 0 : 1;
}
