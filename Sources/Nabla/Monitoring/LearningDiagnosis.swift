import Foundation

/// What the curves of a run say, by the lectures' rules of thumb:
/// - loss exploding (NaN, or climbing): the learning rate is too high;
/// - loss not going down: the learning rate is too low;
/// - a big gap between training and validation accuracy: overfitting, increase regularization;
/// - no gap, and low training accuracy: increase the model's capacity (said only when the loss
///   itself goes down: a learning-rate problem comes first).
public struct LearningDiagnosis: Equatable, CustomStringConvertible {
    /// What was found.
    public enum Kind: String, Equatable, Sendable {
        case lossExploding, lossFlat, overfitting, underfitting, healthy
    }

    /// What was found.
    public var kind: Kind
    /// One sentence with the numbers and the advice.
    public var message: String

    public var description: String { message }

    /// Train − validation accuracy above this is a big gap.
    public static let gapThreshold = 0.05
    /// With no gap (see `closeThreshold`), training accuracy below this is low.
    public static let lowAccuracy = 0.9
    /// Train − validation accuracy below this (in size) is no gap.
    public static let closeThreshold = 0.02

    /// The findings for a run (at least one; `.healthy` when nothing is wrong).
    public static func diagnose(_ record: RunRecord) -> [LearningDiagnosis] {
        var findings: [LearningDiagnosis] = []
        let losses = record.stepLosses
        if !losses.isEmpty {
            let window = max(1, losses.count / 10)
            let first = mean(losses.prefix(window)), last = mean(losses.suffix(window))
            let peak = RunPlots.smoothed(losses, window: window).filter(\.isFinite).max() ?? first
            if let bad = losses.firstIndex(where: { !$0.isFinite }) {
                findings.append(LearningDiagnosis(kind: .lossExploding, message:
                    "loss exploding: it became \(Axis.compact(losses[bad])) at iteration \(bad + 1): the learning rate is too high (lower it)"))
            } else if last > 1.5 * first || peak > 3 * first {
                findings.append(LearningDiagnosis(kind: .lossExploding, message:
                    "loss exploding: it rose from \(f(first)) to \(f(max(last, peak))): the learning rate is too high (lower it)"))
            } else if losses.count >= 5 && last > 0.95 * first {
                findings.append(LearningDiagnosis(kind: .lossFlat, message:
                    "loss not going down: \(f(first)) at the start, \(f(last)) at the end of \(losses.count) iterations: the learning rate is too low (raise it)"))
            }
        }
        let train = record.metric("train_acc").last ?? .nan, validation = record.metric("val_acc").last ?? .nan
        if train.isFinite && validation.isFinite {
            let gap = train - validation
            if gap > gapThreshold {
                findings.append(LearningDiagnosis(kind: .overfitting, message:
                    "big gap between training accuracy \(f(train)) and validation accuracy \(f(validation)) (\(f(gap))): "
                    + "overfitting; increase regularization (a larger L2 penalty, dropout) or use more data"))
            } else if abs(gap) < closeThreshold && train < lowAccuracy && findings.isEmpty {
                // (With a flat or exploding loss the learning rate comes first: capacity is not the problem yet.)
                findings.append(LearningDiagnosis(kind: .underfitting, message:
                    "training accuracy \(f(train)) and validation accuracy \(f(validation)) are both low and close: increase the model's capacity (more units or layers)"))
            }
        }
        if findings.isEmpty {
            var parts: [String] = []
            if !losses.isEmpty {
                let window = max(1, losses.count / 10)
                parts.append("loss \(f(mean(losses.prefix(window)))) → \(f(mean(losses.suffix(window)))) (means of the first and last tenth)")
            }
            if train.isFinite && validation.isFinite {
                parts.append("train accuracy \(f(train)), validation \(f(validation)) (gap \(f(train - validation)))")
            }
            findings.append(LearningDiagnosis(kind: .healthy, message:
                "no problem found" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))))
        }
        return findings
    }

    private static func mean<C: Collection>(_ values: C) -> Double where C.Element == Double {
        let finite = values.filter(\.isFinite)
        return finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count)
    }

    private static func f(_ v: Double) -> String { String(format: "%.4g", v) }
}
