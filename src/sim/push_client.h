// The simulator's outbound HTTP: one blocking POST with a deadline over the whole exchange
// (plain http only, like the providers' default callback URLs). Runs on the simulator's push
// thread, never on an I/O thread.
#pragma once

#include <chrono>
#include <string>

namespace coldtrack::sim {

struct PostResult {
  int status = 0;  // 0: transport failure (see error)
  std::string body;
  std::string error;  // "" on a completed exchange
};

// Never throws. `url` is "http://host[:port]/path[?query]".
PostResult post(const std::string& url, const std::string& content_type, const std::string& body,
                std::chrono::milliseconds timeout);

}  // namespace coldtrack::sim
