import ArgumentParser
import Foundation

/// Runs a command's body with user errors (files, specs, options) reported as one line on
/// standard error and exit code 1, never a usage dump or a crash; validation errors and exit codes
/// pass through.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        fflush(stdout)
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}
