// How personal data is shown to people who are not allowed to see it in full.
#pragma once

#include <string>
#include <string_view>

namespace coldtrack::domain {

// "13812345678" -> "138****5678"; anything shorter than 7 characters becomes "****".
std::string mask_phone(std::string_view phone);
// Keeps the first character (UTF-8 aware), one '*' per remaining character: "张三" -> "张*",
// "欧阳娜娜" -> "欧***". A one-character name becomes "*".
std::string mask_name(std::string_view name);

}  // namespace coldtrack::domain
