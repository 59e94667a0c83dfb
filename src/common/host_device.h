#pragma once
// NMFLOW_HOST_DEVICE marks per-point math that both the CPU path (g++) and the CUDA kernels (nvcc) compile,
// so CPU and GPU run the same formulas by construction. Empty without nvcc.
#if defined(__CUDACC__)
#define NMFLOW_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define NMFLOW_HOST_DEVICE inline
#endif
