import COpenSSL

/// An incremental MD5 digest, through OpenSSL's libcrypto. MD5 is used here only to check that a
/// download matches its published checksum, not for security.
struct MD5 {
    private final class Context {
        let pointer: OpaquePointer
        init() {
            pointer = EVP_MD_CTX_new()
            EVP_DigestInit_ex(pointer, EVP_md5(), nil)
        }
        deinit { EVP_MD_CTX_free(pointer) }
    }
    private let context = Context()

    init() {}

    /// Adds bytes to the digest.
    func update(bufferPointer bytes: UnsafeRawBufferPointer) {
        if bytes.count > 0 { EVP_DigestUpdate(context.pointer, bytes.baseAddress, bytes.count) }
    }

    /// The 16-byte digest of everything added.
    func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context.pointer, &digest, &length)
        return digest
    }
}
