// Exposes the CUDA caching allocator's statistics (what torch.cuda.max_memory_allocated reads in Python) through a
// C ABI, because TorchSharp 0.107 binds none of them. run-on-gpu.sh compiles it on the GPU machine against the
// installed libtorch; CudaAllocatorStats.cs loads it from SRT_CUDA_ALLOC_STATS_LIB. Index 0 of each stat array is
// the aggregate over small and large pools (StatType::AGGREGATE in every libtorch version).
#include <c10/cuda/CUDACachingAllocator.h>
#include <cstdint>

extern "C" {

// values: allocated current, allocated peak, reserved current, reserved peak (bytes). Returns 0, or -1 on error.
int srt_cuda_alloc_stats(int device, int64_t* values) {
  try {
#ifdef SRT_STATS_VIA_GET
    auto stats = c10::cuda::CUDACachingAllocator::get()->getDeviceStats(static_cast<c10::DeviceIndex>(device));
#else
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
#endif
    values[0] = stats.allocated_bytes[0].current;
    values[1] = stats.allocated_bytes[0].peak;
    values[2] = stats.reserved_bytes[0].current;
    values[3] = stats.reserved_bytes[0].peak;
    return 0;
  } catch (...) {
    return -1;
  }
}

// Resets the peaks to the current values. Returns 0, or -1 on error.
int srt_cuda_reset_peak(int device) {
  try {
#ifdef SRT_STATS_VIA_GET
    c10::cuda::CUDACachingAllocator::get()->resetPeakStats(static_cast<c10::DeviceIndex>(device));
#else
    c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
#endif
    return 0;
  } catch (...) {
    return -1;
  }
}
}
