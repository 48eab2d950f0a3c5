// A built front end (the customer H5 page, the merchant console) served from memory. The files
// are read once at start, so answering never waits on the disk on an I/O thread; text files are
// also kept gzip-compressed for clients that accept it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "http/context.h"

namespace coldtrack::http {

class StaticSite {
 public:
  struct File {
    std::string body;
    std::string gzip;  // empty: not compressed (binary, or no smaller)
    std::string content_type;
    std::string etag;
    bool immutable = false;  // content-hashed name: cached for a year
  };

  // Reads every file under `dir` (at most `max_bytes` in all). `mount` is the URL prefix the
  // site answers under ("/m/"), used for messages and the redirect of the bare prefix.
  // An error message when the directory is missing, unreadable or too big.
  static std::variant<StaticSite, std::string> load(const std::filesystem::path& dir,
                                                    std::string mount, std::size_t max_bytes);

  // `rest`: the path below the mount, without its leading '/'. Unknown paths without a file
  // extension get index.html (the page's own router handles them); others 404.
  Response serve(const Context& ctx, std::string_view rest) const;

  std::size_t file_count() const { return files_.size(); }
  std::size_t bytes() const { return bytes_; }
  const std::string& mount() const { return mount_; }

 private:
  std::unordered_map<std::string, File> files_;  // by path relative to the root, '/'-separated
  std::string mount_;
  std::size_t bytes_ = 0;
};

// The content type for a file name by its extension (application/octet-stream if unknown).
std::string_view content_type_for(std::string_view name);

}  // namespace coldtrack::http
