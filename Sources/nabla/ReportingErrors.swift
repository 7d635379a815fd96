import ArgumentParser
import Foundation
import Nabla

/// Runs a command's body with user errors (files, specs, options) reported as one line on
/// standard error and exit code 1, never a usage dump or a crash; validation errors and exit codes
/// pass through. A library `SettingError` is told by the flag that set the field (`--val: …`).
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch let error as NotARunFolder {
        throw failure("\(error) (runs are made by nabla train --out DIR)")
    } catch let error as SettingError {
        throw failure("\(flagOfField[error.field] ?? error.field): \(error.message)")
    } catch {
        throw failure("\(error)")
    }
}

/// Prints `message` as the command's one error line; the exit code to throw.
private func failure(_ message: String) -> ExitCode {
    fflush(stdout)
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    return ExitCode.failure
}
