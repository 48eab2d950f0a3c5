// Seals personal data before it reaches a store, and computes the blind index used to find an
// order by phone without storing the phone in clear.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace coldtrack::service {

class PiiCodec {
 public:
  // `data_key` is the 32-byte master key (security.data_key). Separate sub-keys are derived
  // for encryption and for the index so that one never doubles as the other.
  explicit PiiCodec(std::string_view data_key);

  // `field` is authenticated with the ciphertext, so a sealed phone cannot be replayed as a
  // name (or an API secret as a phone).
  std::string seal(std::string_view plaintext, std::string_view field) const;
  std::optional<std::string> open(std::string_view sealed, std::string_view field) const;

  // Hex HMAC-SHA256 of the normalized phone under the index key.
  std::string phone_index(std::string_view normalized_phone) const;

 private:
  std::string enc_key_;
  std::string index_key_;
};

}  // namespace coldtrack::service
