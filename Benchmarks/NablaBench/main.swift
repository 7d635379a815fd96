import CBLAS
import Foundation

// Nabla's throughput next to a reference measured in the same run (see Benchmarks/README.md).
// Each figure is one `RESULT <name> <key>=<value> ...` line; the ratios are what to compare
// across runs and machines, since the machine may be shared and absolute rates drift.

setvbuf(stdout, nil, _IOLBF, 0)
let cores = ProcessInfo.processInfo.activeProcessorCount
print("NablaBench: \(cores) cores; each figure is the best of several timed samples after a warm-up.")
#if os(Linux)
print("  OpenBLAS \(String(cString: openblas_get_config())), \(openblas_get_num_threads()) threads")
#endif
print("  matmul:      GFLOP/s of tensor matmul(a, b) vs cblas_sgemm called directly, square Float matrices")
print("  elementwise: GB/s (bytes read + written) vs memcpy of the same bytes split over \(cores) threads")
let started = now()
// Elementwise first: OpenBLAS's worker threads keep spinning for a while after each call.
benchmarkElementwise(count: 1 << 24)
benchmarkMatMul(sizes: [256, 512, 1024, 2048])
print("Done in \(fixed(now() - started)) s.")
