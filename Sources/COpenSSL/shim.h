// OpenSSL's libcrypto (Debian: libssl-dev), for the MD5 checksums of downloaded data files.
#include <openssl/evp.h>
