import ArgumentParser
import Foundation
import Nabla

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a run's loss, accuracy and learning-rate curves, and say what they show.",
        discussion: """
        Example:
          nabla plot runs/mnist
        writes loss.svg/.png (the loss per iteration, raw and smoothed), accuracy.svg/.png (training and \
        validation accuracy per epoch: the gap between them), lr.svg/.png and update-ratios.svg/.png \
        (‖update‖/‖weights‖ per parameter tensor per epoch, log scale, 1e-3 marked) into the run folder, then \
        prints the lectures' diagnosis: a big gap means overfitting (more regularization); both low and \
        close, too little capacity; a flat loss, a learning rate too low; an exploding one, too high.
        """
    )

    @Argument(help: "A run folder written by nabla train --out.")
    var folder: String

    @Option(help: "Where to write the pictures (default: the run folder).")
    var out: String?

    @Option(help: "Picture width in pixels.")
    var width: Int = 900

    @Option(help: "Picture height in pixels.")
    var height: Int = 560

    func run() throws {
        guard width >= 200, height >= 150 else { throw ValidationError("--width must be at least 200 and --height at least 150") }
        do {
            let record = try RunRecord.read(folder)
            let target = out ?? folder
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            let written = try RunPlots.write(record, to: target, width: width, height: height)
            print("\(record.stepLosses.count) iterations, \(record.epochs.count) epochs")
            print("wrote " + written.joined(separator: ", "))
            for finding in LearningDiagnosis.diagnose(record) { print(finding.message) }
        } catch {
            fflush(stdout)
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
