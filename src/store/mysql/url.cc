#include "store/mysql/url.h"

#include <boost/url/parse.hpp>
#include <charconv>
#include <stdexcept>

namespace coldtrack::store::mysql {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::invalid_argument("invalid MariaDB URL: " + what);
}

int parse_port(std::string_view p) {
  int port = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || end != p.data() + p.size() || port < 1 || port > 65535)
    fail("the port is not in 1..65535");
  return port;
}

// Plain names only: the name is also used in CREATE DATABASE, and MariaDB maps odd characters
// to file names in surprising ways.
std::string check_database(std::string name) {
  if (name.empty()) fail("the database name is missing (mysql://host:port/database)");
  if (name.size() > 64) fail("the database name is longer than 64 characters");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '$' || c == '-';
    if (!ok) fail("the database name may only contain letters, digits, '_', '$' and '-'");
  }
  return name;
}

}  // namespace

std::string MysqlUrl::redacted() const {
  std::string out = "mysql://" + user;
  if (!password.empty()) out += ":***";
  out += "@";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ":" + std::to_string(port) + "/" + database;
  if (!socket.empty()) out += "?socket=" + socket;
  return out;
}

MysqlUrl parse_mysql_url(std::string_view text) {
  // The input is never echoed: it may contain the password.
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed)
    fail(
        "not a URL; expected mysql://user:password@host:port/database (percent-encode special "
        "characters in the user and password)");
  const auto& u = *parsed;
  if (u.scheme() != "mysql" && u.scheme() != "mariadb") fail("the scheme must be mysql://");
  if (u.has_fragment()) fail("fragments (#...) are not supported");

  MysqlUrl out;
  for (auto param : u.params()) {
    if (param.key != "socket") fail("unsupported query parameter '" + param.key + "'");
    if (param.value.empty()) fail("the socket parameter is empty");
    out.socket = param.value;
  }
  out.host = u.host_address();
  if (out.host.empty()) {
    if (out.socket.empty()) fail("the host is missing");
    out.host = "localhost";
  }
  if (u.has_port()) out.port = parse_port(u.port());
  if (u.has_userinfo()) {
    if (!u.user().empty()) out.user = u.user();
    if (u.has_password()) out.password = u.password();
  }

  auto segments = u.segments();
  if (segments.size() > 1) fail("the path must be a single database name");
  out.database = check_database(segments.empty() ? std::string() : std::string(*segments.begin()));
  return out;
}

}  // namespace coldtrack::store::mysql
