// OpenSSL's libcrypto (Debian: libssl-dev), for the MD5 checksums of downloads and the SHA-256 of safetensors files.
#include <openssl/evp.h>
