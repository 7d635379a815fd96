import Foundation

/// What training a planned model needs in memory, in bytes.
public struct MemoryEstimate: Equatable {
    /// Weights, their gradients and up to two optimizer buffers per weight (Adam's moments).
    public var parameters: Int
    /// Every layer's output and its gradient for one batch, plus per-layer workspaces (im2col, maxout pieces).
    public var activations: Int
    /// Each layer's own share, in the order of `ModelPlan.allLayers` (a block, then the layers inside it).
    public var perLayer: [Int]
    public var total: Int { saturatingSum([parameters, activations]) }
}

extension ModelPlan {
    /// Estimates the memory of training this model: parameters × 4 (weights, gradients, two
    /// optimizer buffers), and for a batch of `batchSize` every layer's output and gradient plus its
    /// workspace. An estimate from above for what Nabla keeps alive at once, without allocator overhead.
    public func memoryEstimate(batchSize: Int, dtype: DType = .float32) -> MemoryEstimate {
        let bytes = dtype.byteSize
        // A block's own share is the sum it outputs; the layers inside it count for themselves.
        let layers = allLayers
        let weights = layers.map { saturatingProduct([$0.ownParameters, 4, bytes]) }
        let outputs = layers.map { layer in
            saturatingSum([saturatingProduct([saturatingProduct(layer.outputShape), 2, batchSize, bytes]),
                           saturatingProduct([layer.workspacePerExample, batchSize, bytes])])
        }
        let input = saturatingProduct([saturatingProduct(inputShape), batchSize, bytes])
        return MemoryEstimate(parameters: saturatingSum(weights), activations: saturatingSum([input] + outputs),
                              perLayer: zip(weights, outputs).map { saturatingSum([$0, $1]) })
    }

    /// Throws when training this model on batches of `batchSize` would need more than `available`
    /// bytes (no check when `available` is nil), naming the largest layer, its size and the total.
    public func checkMemory(batchSize: Int, dtype: DType = .float32, available: Int?) throws {
        guard let available else { return }
        let estimate = memoryEstimate(batchSize: batchSize, dtype: dtype)
        guard estimate.total > available else { return }
        let largest = estimate.perLayer.indices.max { estimate.perLayer[$0] < estimate.perLayer[$1] } ?? 0
        let layer = allLayers[largest]
        let written = spec.layer(at: layer.specPath)
        throw ModelSpecError(
            "the model does not fit in memory: its largest layer, \(layer.description) (\(ModelSpec(layers: [written], source: "").description)), "
                + "needs \(formatBytes(estimate.perLayer[largest])) with \(layer.parameters) parameters; training it on batches of \(batchSize) "
                + "needs about \(formatBytes(estimate.total)) in all, and \(formatBytes(available)) is available",
            column: written.column, text: spec.source)
    }
}

/// Bytes as `313.6 GB` (decimal units), or `more than 9 EB` for sizes that saturated.
public func formatBytes(_ bytes: Int) -> String {
    if bytes == Int.max { return "more than 9 EB" }
    let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
    var value = Double(bytes), unit = 0
    while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
    return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
}

/// The memory this process may still use, as the system reports it.
public enum SystemMemory {
    /// The smaller of `MemAvailable` in `/proc/meminfo` and what the cgroup's limit leaves
    /// (`memory.max` − `memory.current` in cgroup v2, `memory.limit_in_bytes` − `memory.usage_in_bytes`
    /// in v1): a container's limit kills the process long before the machine runs out. Nil where
    /// neither can be read (not Linux).
    public static func available() -> Int? {
        var candidates: [Int] = []
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kB = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            candidates.append(kB * 1024)
        }
        for (limitFile, usageFile) in [("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                       ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes")] {
            // "max" (v2) or a huge number (v1) means no limit; Int(...) of "max" is nil.
            if let limit = readInt(limitFile), limit < Int.max / 2 {
                candidates.append(max(0, limit - (readInt(usageFile) ?? 0)))
            }
        }
        return candidates.min()
    }

    private static func readInt(_ path: String) -> Int? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
