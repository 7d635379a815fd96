import CBLAS
import Foundation
import Nabla

/// One matrix product of a workload, as `cblas_sgemm` sees it: `C[m, n] = op(A) · op(B)`.
struct GEMMShape {
    let m: Int, n: Int, k: Int
    var transA = false, transB = false
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// A training or inference step, measured in the same run through Nabla's public API, as the NumPy
/// reference script writes it, and as nothing but its matrix products called on `cblas_sgemm`
/// directly (the ceiling for any implementation built on this BLAS).
struct Workload {
    let name: String
    /// Images per step.
    let batch: Int
    /// The matrix products of one step (forward, plus backward for training; the input's
    /// gradient is not computed for the first layer), in the layouts Nabla uses.
    let gemms: [GEMMShape]
    /// One step through Nabla.
    let step: () -> Void
    /// What to check after the run (a finite loss).
    let check: () -> String?

    var flops: Double { gemms.reduce(0) { $0 + $1.flops } }
}

/// The products of a Linear layer `y = x · Wᵀ` with `x: [batch, in]`, `W: [out, in]`: forward,
/// then backward `dW = dyᵀ · x` and, unless it is the first layer, `dx = dy · W`.
func linearGEMMs(batch: Int, _ input: Int, _ output: Int, backward: Bool, inputGradient: Bool) -> [GEMMShape] {
    var shapes = [GEMMShape(m: batch, n: output, k: input, transB: true)]
    if backward {
        shapes.append(GEMMShape(m: output, n: input, k: batch, transA: true))
        if inputGradient { shapes.append(GEMMShape(m: batch, n: input, k: output)) }
    }
    return shapes
}

/// The products of a stride-1 convolution over a whole batch, as one GEMM per direction on the
/// im2col matrix `[C·kH·kW, N·H·W]`: forward `W · col`, backward `dW = dY · colᵀ` and, unless it
/// is the first layer, `dcol = Wᵀ · dY`.
func convolutionGEMMs(batch: Int, _ input: Int, _ output: Int, kernel: Int, pixels: Int, inputGradient: Bool) -> [GEMMShape] {
    let patch = input * kernel * kernel, columns = batch * pixels
    var shapes = [GEMMShape(m: output, n: columns, k: patch),
                  GEMMShape(m: output, n: patch, k: columns, transB: true)]
    if inputGradient { shapes.append(GEMMShape(m: patch, n: columns, k: output, transA: true)) }
    return shapes
}

/// `mlp_train`: Linear 784→512, ReLU, Linear 512→256, ReLU, Linear 256→10, softmax cross-entropy,
/// SGD with momentum 0.9, batch 128: the loop of the README, on one fixed batch.
func mlpTrainWorkload() -> Workload {
    let batch = 128
    var g = RandomGenerator(seed: 3)
    let model = Sequential(Linear(784, 512, generator: &g), ReLU(), Linear(512, 256, generator: &g), ReLU(),
                           Linear(256, 10, generator: &g))
    let optimizer = try! Momentum(model.parameters(), learningRate: 1e-3, momentum: 0.9)
    let x = Tensor.randomUniform([batch, 784], lower: 0, upper: 1, generator: &g)
    let labels = (0..<batch).map { _ in Int(g.next() % 10) }
    var lastLoss = 0.0
    let step = {
        let logits = model(Variable(x))
        let loss = softmaxCrossEntropy(logits: logits, labels: labels)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        lastLoss = loss.value.scalar
    }
    let gemms = linearGEMMs(batch: batch, 784, 512, backward: true, inputGradient: false)
        + linearGEMMs(batch: batch, 512, 256, backward: true, inputGradient: true)
        + linearGEMMs(batch: batch, 256, 10, backward: true, inputGradient: true)
    return Workload(name: "mlp_train", batch: batch, gemms: gemms, step: step,
                    check: { lastLoss.isFinite ? nil : "loss \(lastLoss)" })
}

/// `cnn_train`: 3×32×32 images, Conv 3→32 (3×3, pad 1), ReLU, MaxPool 2, Conv 32→64 (3×3, pad 1),
/// ReLU, MaxPool 2, Flatten, Linear 4096→256, ReLU, Linear 256→10, softmax cross-entropy, SGD with
/// momentum 0.9, batch 64.
func cnnTrainWorkload() -> Workload {
    let batch = 64
    var g = RandomGenerator(seed: 4)
    let model = cnnModel(generator: &g)
    let optimizer = try! Momentum(model.parameters(), learningRate: 1e-3, momentum: 0.9)
    let x = Tensor.randomUniform([batch, 3, 32, 32], lower: 0, upper: 1, generator: &g)
    let labels = (0..<batch).map { _ in Int(g.next() % 10) }
    var lastLoss = 0.0
    let step = {
        let loss = softmaxCrossEntropy(logits: model(Variable(x)), labels: labels)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        lastLoss = loss.value.scalar
    }
    let gemms = convolutionGEMMs(batch: batch, 3, 32, kernel: 3, pixels: 32 * 32, inputGradient: false)
        + convolutionGEMMs(batch: batch, 32, 64, kernel: 3, pixels: 16 * 16, inputGradient: true)
        + linearGEMMs(batch: batch, 4096, 256, backward: true, inputGradient: true)
        + linearGEMMs(batch: batch, 256, 10, backward: true, inputGradient: true)
    return Workload(name: "cnn_train", batch: batch, gemms: gemms, step: step,
                    check: { lastLoss.isFinite ? nil : "loss \(lastLoss)" })
}

/// `cnn_train`'s network.
func cnnModel(generator g: inout RandomGenerator) -> Sequential {
    Sequential(
        Conv2D(3, 32, kernel: 3, padding: 1, generator: &g), ReLU(), MaxPool2D(kernel: 2),
        Conv2D(32, 64, kernel: 3, padding: 1, generator: &g), ReLU(), MaxPool2D(kernel: 2),
        Flatten(), Linear(4096, 256, generator: &g), ReLU(), Linear(256, 10, generator: &g))
}

/// `mlp_infer`: the MLP's forward pass at batch 1024, without recording a graph (`model(tensor)`).
func mlpInferWorkload() -> Workload {
    let batch = 1024
    var g = RandomGenerator(seed: 5)
    let model = Sequential(Linear(784, 512, generator: &g), ReLU(), Linear(512, 256, generator: &g), ReLU(),
                           Linear(256, 10, generator: &g))
    let x = Tensor.randomUniform([batch, 784], lower: 0, upper: 1, generator: &g)
    var sink: Float = 0
    let step = {
        let scores = model(x)
        sink += scores.withUnsafeBufferPointer(as: Float.self) { $0[0] }
    }
    let gemms = linearGEMMs(batch: batch, 784, 512, backward: false, inputGradient: false)
        + linearGEMMs(batch: batch, 512, 256, backward: false, inputGradient: false)
        + linearGEMMs(batch: batch, 256, 10, backward: false, inputGradient: false)
    return Workload(name: "mlp_infer", batch: batch, gemms: gemms, step: step,
                    check: { sink.isFinite ? nil : "scores \(sink)" })
}

/// Calls `cblas_sgemm` for each of `shapes` in turn, on buffers allocated (and filled) once.
final class DirectGEMMs {
    private let shapes: [GEMMShape]
    private var buffers: [(a: [Float], b: [Float], c: [Float])]

    init(_ shapes: [GEMMShape]) {
        self.shapes = shapes
        var g = RandomGenerator(seed: 6)
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float(g.nextUniform() * 2 - 1) } }
        buffers = shapes.map { s in (random(s.m * s.k), random(s.k * s.n), [Float](repeating: 0, count: s.m * s.n)) }
    }

    func run() {
        for i in shapes.indices {
            let s = shapes[i]
            // Row-major leading dimensions: the stored row length of each operand.
            let lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n
            buffers[i].a.withUnsafeBufferPointer { a in
                buffers[i].b.withUnsafeBufferPointer { b in
                    buffers[i].c.withUnsafeMutableBufferPointer { c in
                        cblas_sgemm(CblasRowMajor, s.transA ? CblasTrans : CblasNoTrans, s.transB ? CblasTrans : CblasNoTrans,
                                    Int32(s.m), Int32(s.n), Int32(s.k), 1, a.baseAddress, Int32(lda),
                                    b.baseAddress, Int32(ldb), 0, c.baseAddress, Int32(s.n))
                    }
                }
            }
        }
    }
}

/// Each workload in turns with its references: Nabla's step, the step's matrix products alone on
/// `cblas_sgemm`, a square 512 × 512 × 512 `cblas_sgemm` (what BLAS reaches on a comfortable size),
/// NumPy's step and PyTorch's (each when available).
func benchmarkTraining(_ workloads: [Workload], numpy: PythonReference?, torch: PythonReference?) {
    let square = GEMMShape(m: 512, n: 512, k: 512)
    let squareGEMM = DirectGEMMs([square])
    for workload in workloads {
        let direct = DirectGEMMs(workload.gemms)
        var sides: [TimedBody] = [.inProcess(workload.step), .inProcess(direct.run), .inProcess(squareGEMM.run)]
        // Each process's BLAS or OpenMP threads may spin for ~0.1 s after a call: a pause on either
        // side of a subprocess's samples keeps them from eating into the other sides' time.
        for peer in [numpy, torch] {
            if let peer { sides.append(TimedBody(settle: 0.15) { calls in peer.secondsPerCall(workload.name, calls: calls) }) }
        }
        // Many short samples rather than a few long ones: on a busy machine the best of many is
        // more likely to have caught a quiet moment.
        let t = interleavedBestTimed(rounds: 16, minimumSampleSeconds: 0.05, sides)
        let images = Double(workload.batch)
        let ips = images / t[0], gflops = workload.flops / t[0] / 1e9
        let sgemm = workload.flops / t[1] / 1e9, sgemm512 = square.flops / t[2] / 1e9
        var next = 3
        func peerIPS(_ peer: PythonReference?) -> Double? {
            guard peer != nil else { return nil }
            defer { next += 1 }
            return images / t[next]
        }
        let numpyIPS = peerIPS(numpy), torchIPS = peerIPS(torch)
        func ratio(_ peer: Double?) -> String { peer.map { fixed(ips / $0, 2) } ?? "n/a" }
        print("RESULT \(workload.name) ips=\(fixed(ips)) numpy_ips=\(numpyIPS.map { fixed($0) } ?? "n/a")"
              + " ratio=\(ratio(numpyIPS)) torch_ips=\(torchIPS.map { fixed($0) } ?? "n/a") torch_ratio=\(ratio(torchIPS))"
              + " gflops=\(fixed(gflops)) sgemm_gflops=\(fixed(sgemm)) sgemm_ratio=\(fixed(gflops / sgemm, 2))"
              + " sgemm512_gflops=\(fixed(sgemm512)) sgemm512_ratio=\(fixed(gflops / sgemm512, 2))"
              + " batch=\(workload.batch) ms_per_step=\(fixed(t[0] * 1e3, 2))")
        if let problem = workload.check() { print("(\(workload.name): unexpected \(problem))") }
    }
}
