import CBLAS
import Foundation
import Nabla

// Nabla's throughput next to a reference measured in the same run (see Benchmarks/README.md).
// Each figure is one `RESULT <name> <key>=<value> ...` line; the ratios are what to compare
// across runs and machines, since the machine may be shared and absolute rates drift.

setvbuf(stdout, nil, _IOLBF, 0)
let cores = ProcessInfo.processInfo.activeProcessorCount
print("NablaBench: \(cores) cores; each figure is the best of several timed samples after a warm-up.")
#if os(Linux)
print("  OpenBLAS \(String(cString: openblas_get_config())), \(String(cString: openblas_get_corename())) kernels, \(openblas_get_num_threads()) threads")
#endif
// `NablaBench conv-compare`: each convolution layer with each algorithm of `conv2d`, in turns.
if CommandLine.arguments.dropFirst().first == "conv-compare" {
    compareConvolutionAlgorithms(only: Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}
// The NumPy and PyTorch peers start now (their imports done before any timing) and then wait for requests.
var numpyFailure = "", torchFailure = ""
let numpy = PythonReference.numpy(failure: &numpyFailure)
let torch = PythonReference.torch(failure: &torchFailure)
print("  reference:   \(numpy?.description ?? "unavailable: \(numpyFailure)")")
print("  peer:        \(torch?.description ?? "unavailable: \(torchFailure)")")
print("  matmul:      GFLOP/s of tensor matmul(a, b) vs cblas_sgemm called directly, square Float matrices")
print("  elementwise: GB/s (bytes read + written) vs memcpy of the same bytes split over \(cores) threads")
print("  training:    images/s of a Nabla step vs the same step in NumPy (Benchmarks/reference.py)")
print("               and in PyTorch (Benchmarks/torch_reference.py), ratio = Nabla's images/s over theirs;")
print("               GFLOP/s of its matrix products vs the same products on cblas_sgemm alone")
print("  batch:       µs to assemble an mlp_train batch from compact (byte) MNIST, as a share of the step")
let started = now()
// `NablaBench profile`: cnn_train's step layer by layer; `NablaBench profile-demo`: the demo CNN's
// (the Makefile's DEMO_MODEL on 1×28×28 images, batch 100, as in the Fashion-MNIST epoch);
// `NablaBench profile-recipe [FILE]`: the model of a recipe (recipes/fashion-mnist.json), in training
// mode, on 1×28×28 images at the recipe's batch size.
if let mode = CommandLine.arguments.dropFirst().first, mode == "profile-recipe" {
    let file = CommandLine.arguments.dropFirst(2).first ?? "recipes/fashion-mnist.json"
    do {
        let recipe = try TrainingRecipe.read(file)
        var g = RandomGenerator(seed: 4)
        let model = try recipe.modelSpec().build(inputShape: [1, 28, 28], classCount: 10, initializer: recipe.initializer,
                                                 batchSize: recipe.batchSize, generator: &g).model
        model.setTraining(true)
        let optimizer = try Momentum(model.parameters(), learningRate: 1e-3, momentum: 0.9)
        profileConvolutionalStep(model: model, batch: recipe.batchSize, inputShape: [1, 28, 28], optimizer: optimizer)
        exit(0)
    } catch {
        print("NablaBench profile-recipe: \(error)")
        exit(1)
    }
}
if let mode = CommandLine.arguments.dropFirst().first, mode.hasPrefix("profile") {
    var g = RandomGenerator(seed: 4)
    let demo = mode == "profile-demo"
    let model = demo ? Sequential(
        Conv2D(1, 16, kernel: 5, padding: 2, generator: &g), ReLU(), MaxPool2D(kernel: 2),
        Conv2D(16, 32, kernel: 5, padding: 2, generator: &g), ReLU(), MaxPool2D(kernel: 2),
        Flatten(), Linear(1568, 10, generator: &g)) : cnnModel(generator: &g)
    let optimizer = try! Momentum(model.parameters(), learningRate: 1e-3, momentum: 0.9)
    profileConvolutionalStep(model: model, batch: demo ? 100 : 64, inputShape: demo ? [1, 28, 28] : [3, 32, 32],
                             optimizer: optimizer)
    exit(0)
}
// `NablaBench cnn_train …` times only the named training workloads (for iterating on one).
let only = Set(CommandLine.arguments.dropFirst())
if only.isEmpty {
    // Elementwise first: OpenBLAS's worker threads keep spinning for a while after each call.
    benchmarkElementwise(count: 1 << 24)
    benchmarkMatMul(sizes: [256, 512, 1024, 2048])
}
let mlp = mlpTrainWorkload()
let workloads = [mlp, cnnTrainWorkload(), mlpInferWorkload()].filter { only.isEmpty || only.contains($0.name) }
benchmarkTraining(workloads, numpy: numpy, torch: torch)
if only.isEmpty { benchmarkBatchAssembly(step: mlp) }
numpy?.stop()
torch?.stop()
print("Done in \(fixed(now() - started)) s.")
