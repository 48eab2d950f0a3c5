#include "domain/masking.h"

#include "domain/validation.h"

namespace coldtrack::domain {

std::string mask_phone(std::string_view phone) {
  if (phone.size() < 7) return "****";
  std::string out(phone.substr(0, 3));
  out += "****";
  out += phone.substr(phone.size() - 4);
  return out;
}

std::string mask_name(std::string_view name) {
  const std::size_t chars = utf8_length(name);
  if (chars <= 1) return "*";
  std::size_t first_len = 1;
  while (first_len < name.size() && (static_cast<unsigned char>(name[first_len]) & 0xC0) == 0x80)
    ++first_len;
  std::string out(name.substr(0, first_len));
  out.append(chars - 1, '*');
  return out;
}

}  // namespace coldtrack::domain
