import Foundation
import Nabla

/// The flag of the run that Ctrl-C, SIGTERM or SIGHUP stops: a signal handler may only write memory.
nonisolated(unsafe) private var stopFlag: UnsafeMutablePointer<Int32>?
/// The signals whose handler `stopOnSignals` set.
nonisolated(unsafe) private var handled: [Int32] = []

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP finish the current step, then the run stops with its last
/// checkpoint intact and says how to resume. A signal ignored when nabla starts stays ignored, as
/// the one who started it asked (`nohup` ignores SIGHUP; a script's background job, SIGINT).
func stopOnSignals(_ request: StopRequest) {
    stopFlag = request.flag
    handled = [SIGINT, SIGTERM, SIGHUP].filter { !isIgnored($0) }
    for s in handled { signal(s) { _ in stopFlag?.pointee = 1 } }
    // A parent may start us with them blocked (Foundation's Process from a thread that blocks
    // them does): a handler alone would then never run, and a SIGTERM would wait for the run's end.
    var set = sigset_t()
    sigemptyset(&set)
    for s in handled { sigaddset(&set, s) }
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

/// The default signal handling again, once the run is over.
func restoreSignals() {
    for s in handled { signal(s, SIG_DFL) }
    handled = []
    stopFlag = nil
}

/// Whether `s` is ignored (`SIG_IGN`, which is the handler address 1).
private func isIgnored(_ s: Int32) -> Bool {
    var current = sigaction()
    guard sigaction(s, nil, &current) == 0 else { return false }
    return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == 1
}
