import Foundation
import Nabla

/// `NablaBench conv-compare`: each convolution of `cnn_train`'s network, of the demo CNN and the 3 × 3
/// layers of the Fashion-MNIST recipe that take most of its time, forward
/// and forward + backward, with every algorithm of `conv2d`, the algorithms taking turns so that
/// load from elsewhere hits them alike. This is how the automatic choice was made.
/// `only` (`NablaBench conv-compare [LAYER [ALGORITHM]]`) keeps the layers whose name contains
/// LAYER and the one algorithm named ALGORITHM: for profiling one kernel.
func compareConvolutionAlgorithms(rounds: Int = 10, only: [String] = []) {
    struct Layer { let name: String; let input: [Int]; let output: Int; let kernel: Int; let padding: Int; let inputGradient: Bool }
    let layers = [
        Layer(name: "cnn_train conv 3→32 3×3 on 32×32", input: [64, 3, 32, 32], output: 32, kernel: 3, padding: 1, inputGradient: false),
        Layer(name: "cnn_train conv 32→64 3×3 on 16×16", input: [64, 32, 16, 16], output: 64, kernel: 3, padding: 1, inputGradient: true),
        Layer(name: "demo conv 1→16 5×5 on 28×28", input: [100, 1, 28, 28], output: 16, kernel: 5, padding: 2, inputGradient: false),
        Layer(name: "demo conv 16→32 5×5 on 14×14", input: [100, 16, 14, 14], output: 32, kernel: 5, padding: 2, inputGradient: true),
        Layer(name: "fashion conv 32→64 3×3 on 14×14", input: [128, 32, 14, 14], output: 64, kernel: 3, padding: 1, inputGradient: true),
        Layer(name: "fashion conv 64→128 3×3 on 7×7", input: [128, 64, 7, 7], output: 128, kernel: 3, padding: 1, inputGradient: true),
    ]
    let allAlgorithms: [(String, ConvolutionAlgorithm)] = [
        ("im2col", .im2col), ("winograd", .winograd), ("winograd4", .winograd4), ("direct", .direct), ("automatic", .automatic),
    ]
    var g = RandomGenerator(seed: 12)
    let algorithms = only.count > 1 ? allAlgorithms.filter { $0.0 == only[1] } : allAlgorithms
    for layer in layers where only.isEmpty || layer.name.contains(only[0]) {
        let x = Variable(Tensor.randomUniform(layer.input, lower: 0, upper: 1, generator: &g), requiresGrad: layer.inputGradient)
        let conv = Conv2D(layer.input[1], layer.output, kernel: layer.kernel, padding: layer.padding, generator: &g)
        let seed = Tensor.randomUniform(conv(x).shape, lower: -1, upper: 1, generator: &g)
        var bodies: [() -> Void] = []
        for (_, algorithm) in algorithms {
            let run = { conv2d(x, weight: conv.weight, bias: conv.bias, padding: layer.padding, algorithm: algorithm) }
            bodies.append { _ = run() }
            bodies.append { conv.zeroGrad(); run().backward(seed: seed) }
        }
        let (t, cpu) = interleavedBestWithCPU(rounds: rounds, bodies)
        for (i, (name, _)) in algorithms.enumerated() {
            let forward = t[2 * i], backward = Swift.max(0, t[2 * i + 1] - forward)
            let cpuForward = cpu[2 * i], cpuBackward = Swift.max(0, cpu[2 * i + 1] - cpuForward)
            print("CONV \(layer.name) | \(name) | forward \(fixed(forward * 1e3, 2)) ms | backward \(fixed(backward * 1e3, 2)) ms"
                  + " | total \(fixed((forward + backward) * 1e3, 2)) ms | CPU forward \(fixed(cpuForward * 1e3, 2)) ms"
                  + " | CPU backward \(fixed(cpuBackward * 1e3, 2)) ms")
        }
    }
}

/// Seconds of CPU time used by this process, all threads together.
private func processCPUTime() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// `interleavedBest`, plus the best CPU time per call (all threads): on a machine shared with other
/// jobs the CPU time of a kernel moves much less than its wall time, which depends on how many
/// cores the other jobs leave it.
private func interleavedBestWithCPU(rounds: Int, _ bodies: [() -> Void]) -> ([Double], [Double]) {
    let batches = bodies.map { body -> Int in
        let start = now()
        body()
        return Swift.max(1, Int((0.02 / Swift.max(now() - start, 1e-7)).rounded(.up)))
    }
    var wall = [Double](repeating: .infinity, count: bodies.count), cpu = wall
    for _ in 0..<rounds {
        for (i, body) in bodies.enumerated() {
            let start = now(), startCPU = processCPUTime()
            for _ in 0..<batches[i] { body() }
            wall[i] = Swift.min(wall[i], (now() - start) / Double(batches[i]))
            cpu[i] = Swift.min(cpu[i], (processCPUTime() - startCPU) / Double(batches[i]))
        }
    }
    return (wall, cpu)
}
