import Foundation
import Testing
@testable import Nabla

/// The one CSV format of a run's record: what `History` writes, it reads back, and the files of
/// older runs (without the newer columns) still read.
@Suite struct HistoryCSVTests {
    @Test func aHistoryReadsBackWhatItWrites() {
        let history = History(stepLosses: [2.3, 1.9, 1.5], epochs: [
            ["epoch": 1, "loss": 2.1, "train_acc": 0.5, "val_acc": 0.45, "val_loss": 1.8, "lr": 0.1, "time": 1.5, "elapsed": 1.5],
            ["epoch": 2, "loss": 1.5, "train_acc": 0.7, "val_acc": 0.66, "val_loss": 1.2, "lr": 0.05, "time": 1.25, "elapsed": 2.75],
        ], updateRatios: [["epoch": 1, "0.weight": 1e-3], ["epoch": 2, "0.weight": 5e-4]], stepLearningRates: [0.1, 0.1, 0.05])
        #expect(history.stepCSV == "step,loss,lr\n1,2.3,0.1\n2,1.9,0.1\n3,1.5,0.05\n")
        #expect(history.epochCSV.hasPrefix("epoch,loss,train_acc,val_acc,val_loss,lr,time,elapsed\n1,2.1,"))
        let back = History(epochCSV: history.epochCSV, stepCSV: history.stepCSV, updateRatioCSV: history.updateRatioCSV)
        #expect(back == history)
    }

    @Test func anOldHistoryWithoutTimesStillReads() {
        // history.csv as versions before time-to-accuracy wrote it.
        let old = "epoch,loss,train_acc,val_acc,val_loss,lr\n1,0.9,0.8,0.78,0.7,0.05\n2,0.5,0.9,0.86,0.5,0.045\n"
        let history = History(epochCSV: old, stepCSV: "step,loss\n1,2.3\n2,0.4\n")
        #expect(history.metric("val_acc") == [0.78, 0.86] && history.epochNumbers == [1, 2])
        #expect(history.metric("time").allSatisfy { $0.isNaN })
        #expect(history.epochCSV == old)   // written back unchanged: no empty time columns
        #expect(history.stepLosses == [2.3, 0.4] && history.updateRatios.isEmpty)
        #expect(history.stepLearningRates.count == 2 && history.stepCSV == "step,loss\n1,2.3\n2,0.4\n")
    }

    @Test func unknownColumnsAreKeptAfterTheStandardOnes() {
        let history = History(stepLosses: [], epochs: [["epoch": 1, "loss": 1, "train_acc": 0.5, "val_acc": 0.5, "val_loss": 1, "lr": 0.1, "custom": 7]])
        #expect(history.epochCSV == "epoch,loss,train_acc,val_acc,val_loss,lr,custom\n1,1.0,0.5,0.5,1.0,0.1,7.0\n")
    }
}
