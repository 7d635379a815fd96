import Foundation
import Nabla

/// `NablaBench profile`: where `cnn_train`'s step spends its time, layer by layer, forward and
/// backward, through the public API.
///
/// Each layer runs on its own graph: the input it sees in the step (a leaf that requires a
/// gradient, except for the first layer), the forward timed alone, then forward + backward with a
/// random output gradient as the seed, the backward being the difference. The layers take turns,
/// best of several samples each, so that load from elsewhere hits them alike. The loss and the
/// optimizer's update are timed the same way.
func profileConvolutionalStep(model: Sequential, batch: Int, inputShape: [Int], optimizer: Optimizer, rounds: Int = 12) {
    var g = RandomGenerator(seed: 11)
    var x = Tensor.randomUniform([batch] + inputShape, lower: 0, upper: 1, generator: &g)
    struct Row { let name: String; let forward: () -> Void; let both: () -> Void }
    var rows: [Row] = []
    for (index, layer) in model.layers.enumerated() {
        let input = Variable(x, requiresGrad: index > 0)
        let output = layer(input)
        let seed = Tensor.randomUniform(output.shape, lower: -1, upper: 1, generator: &g)
        rows.append(Row(name: "\(index) \(layer)",
                        forward: { _ = layer(input) },
                        both: { layer.zeroGrad(); layer(input).backward(seed: seed) }))
        x = output.value
    }
    let labels = (0..<batch).map { _ in Int(g.next() % 10) }
    let logits = Variable(x, requiresGrad: true)
    rows.append(Row(name: "softmaxCrossEntropy", forward: { _ = softmaxCrossEntropy(logits: logits, labels: labels) },
                    both: { softmaxCrossEntropy(logits: logits, labels: labels).backward() }))
    // Gradients for the update to read.
    for (_, p) in model.parameters() { p.grad = Tensor.randomUniform(p.shape, lower: -1, upper: 1, generator: &g) }
    rows.append(Row(name: "optimizer step (momentum)", forward: { optimizer.step() }, both: { optimizer.step() }))

    let times = interleavedBest(rounds: rounds, minimumSampleSeconds: 0.02, rows.flatMap { [$0.forward, $0.both] })
    var total = 0.0
    var lines: [(String, Double, Double)] = []
    for (i, row) in rows.enumerated() {
        let forward = times[2 * i], both = times[2 * i + 1]
        let backward = row.name.hasPrefix("optimizer") ? 0 : Swift.max(0, both - forward)
        lines.append((row.name, forward, backward))
        total += forward + backward
    }
    print("PROFILE step, batch \(batch): ms forward, ms backward, share of the sum (\(fixed(total * 1e3, 2)) ms)")
    for (name, forward, backward) in lines {
        print("PROFILE | \(name) | \(fixed(forward * 1e3, 2)) | \(fixed(backward * 1e3, 2)) | \(fixed((forward + backward) / total * 100))% |")
    }
}
