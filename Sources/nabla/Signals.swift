import Foundation
import Nabla

/// The flag of the run that Ctrl-C, SIGTERM or SIGHUP stops: a signal handler may only write memory.
nonisolated(unsafe) private var stopFlag: UnsafeMutablePointer<Int32>?

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP finish the current step, then the run stops with its last
/// checkpoint intact and says how to resume.
func stopOnSignals(_ request: StopRequest) {
    stopFlag = request.flag
    for s in [SIGINT, SIGTERM, SIGHUP] { signal(s) { _ in stopFlag?.pointee = 1 } }
    // A parent may start us with them blocked (Foundation's Process from a thread that blocks
    // them does): a handler alone would then never run, and a SIGTERM would wait for the run's end.
    var set = sigset_t()
    sigemptyset(&set)
    for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, s) }
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

/// The default signal handling again, once the run is over.
func restoreSignals() {
    for s in [SIGINT, SIGTERM, SIGHUP] { signal(s, SIG_DFL) }
    stopFlag = nil
}
