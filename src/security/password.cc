#include "security/password.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <charconv>
#include <stdexcept>
#include <vector>

#include "security/crypto.h"

namespace coldtrack::security {
namespace {

constexpr std::size_t kHashBytes = 32;
constexpr std::uint64_t kMaxMem = std::uint64_t{256} << 20;  // refuse absurd stored costs

std::string derive(std::string_view password, std::string_view salt, const ScryptCost& c) {
  std::string out(kHashBytes, '\0');
  if (EVP_PBE_scrypt(password.data(), password.size(),
                     reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), c.n, c.r,
                     c.p, kMaxMem, reinterpret_cast<unsigned char*>(out.data()), out.size()) != 1)
    throw std::runtime_error("scrypt failed");
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto at = s.find(sep);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

bool number(std::string_view s, std::uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string hash_password(std::string_view password, const ScryptCost& cost) {
  const auto salt = random_bytes(16);
  return fmt::format("scrypt${}${}${}${}${}", cost.n, cost.r, cost.p, base64_encode(salt),
                     base64_encode(derive(password, salt, cost)));
}

bool verify_password(std::string_view password, std::string_view stored) {
  const auto parts = split(stored, '$');
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  ScryptCost c;
  if (!number(parts[1], c.n) || !number(parts[2], c.r) || !number(parts[3], c.p)) return false;
  const auto salt = base64_decode(parts[4]);
  const auto want = base64_decode(parts[5]);
  if (!salt || !want || want->size() != kHashBytes) return false;
  try {
    return constant_time_equal(derive(password, *salt, c), *want);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace coldtrack::security
