// Thin, exception-free wrappers over OpenSSL 3 for the primitives ColdTrack needs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace coldtrack::security {

// Lowercase hex of bytes.
std::string hex_encode(std::string_view bytes);
// Decodes hex (either case); nullopt on odd length or non-hex characters.
std::optional<std::string> hex_decode(std::string_view hex);

std::string base64_encode(std::string_view bytes);
// Standard alphabet with padding; nullopt on malformed input.
std::optional<std::string> base64_decode(std::string_view text);
// URL-safe alphabet, no padding (for opaque cursors and tokens).
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// Raw 32-byte digest.
std::string sha256(std::string_view data);
std::string sha256_hex(std::string_view data);
// Raw 32-byte MAC.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// Cryptographically secure random bytes (RAND_bytes); throws std::runtime_error on failure.
std::string random_bytes(std::size_t n);
// Random lowercase-hex string of 2*n_bytes characters.
std::string random_hex(std::size_t n_bytes);

// A new RSA key pair as PEM (PKCS#8 private key, SubjectPublicKeyInfo public key); for the demo's
// simulated WeChat Pay platform key. Throws std::runtime_error on failure.
struct RsaKeyPem {
  std::string private_pem, public_pem;
};
RsaKeyPem generate_rsa_key(int bits = 2048);

// Constant-time equality (CRYPTO_memcmp); false when sizes differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// AES-256-GCM. key must be 32 bytes. Output layout of seal: 12-byte random nonce || ciphertext
// || 16-byte tag. aad is authenticated, not encrypted. open returns nullopt when the key,
// nonce, aad or tag do not verify (never returns unauthenticated plaintext).
std::string aes256gcm_seal(std::string_view key, std::string_view plaintext,
                           std::string_view aad = {});
std::optional<std::string> aes256gcm_open(std::string_view key, std::string_view sealed,
                                          std::string_view aad = {});
// Explicit-nonce variant (as used by WeChat Pay v3: ciphertext || tag, nonce given separately).
std::optional<std::string> aes256gcm_decrypt(std::string_view key, std::string_view nonce,
                                             std::string_view ciphertext_and_tag,
                                             std::string_view aad);

}  // namespace coldtrack::security
