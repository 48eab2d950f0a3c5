// Staff passwords: scrypt (OpenSSL's EVP_PBE_scrypt) with a random 16-byte salt, stored as
// "scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>" so the cost can rise later without breaking
// the hashes already stored. scrypt is memory-hard: guessing on GPUs costs memory, not just time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace coldtrack::security {

struct ScryptCost {
  std::uint64_t n = 1 << 15;  // 32 MiB with r = 8; ~50-100 ms on a server core
  std::uint64_t r = 8;
  std::uint64_t p = 1;
};

// Throws std::runtime_error when OpenSSL refuses (out of memory).
std::string hash_password(std::string_view password, const ScryptCost& cost = {});
// False for a wrong password and for anything that is not a hash made by hash_password.
bool verify_password(std::string_view password, std::string_view stored);

}  // namespace coldtrack::security
