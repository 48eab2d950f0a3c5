#include "service/pii.h"

#include <stdexcept>

#include "security/crypto.h"

namespace coldtrack::service {

namespace sec = coldtrack::security;

PiiCodec::PiiCodec(std::string_view data_key) {
  if (data_key.size() != 32) throw std::invalid_argument("data key must be 32 bytes");
  enc_key_ = sec::hmac_sha256(data_key, "coldtrack/pii-encryption/v1");
  index_key_ = sec::hmac_sha256(data_key, "coldtrack/phone-index/v1");
}

std::string PiiCodec::seal(std::string_view plaintext, std::string_view field) const {
  return sec::aes256gcm_seal(enc_key_, plaintext, field);
}

std::optional<std::string> PiiCodec::open(std::string_view sealed, std::string_view field) const {
  return sec::aes256gcm_open(enc_key_, sealed, field);
}

std::string PiiCodec::phone_index(std::string_view normalized_phone) const {
  return sec::hmac_sha256_hex(index_key_, normalized_phone);
}

}  // namespace coldtrack::service
