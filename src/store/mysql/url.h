// mysql://[user[:password]@]host[:port]/database[?socket=/path/to.sock] for the MariaDB store.
// User and password are percent-decoded (encode '@', ':', '/' and '%' in them). Without
// ?socket= the connection always uses TCP, also for "localhost".
#pragma once

#include <string>
#include <string_view>

namespace coldtrack::store::mysql {

struct MysqlUrl {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user = "root";
  std::string password;
  std::string database;
  std::string socket;  // a Unix socket path; when set, host and port are not used

  // The URL with the password replaced by "***", for logs and error messages.
  std::string redacted() const;
};

// Throws std::invalid_argument naming what is wrong; the message never contains the password.
MysqlUrl parse_mysql_url(std::string_view url);

}  // namespace coldtrack::store::mysql
