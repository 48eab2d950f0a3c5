#include "http/static_site.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "security/crypto.h"

namespace coldtrack::http {
namespace {

namespace fs = std::filesystem;

struct Type {
  std::string_view ext, type;
  bool text;
};

constexpr std::array kTypes = {
    Type{".html", "text/html; charset=utf-8", true},
    Type{".js", "text/javascript; charset=utf-8", true},
    Type{".mjs", "text/javascript; charset=utf-8", true},
    Type{".css", "text/css; charset=utf-8", true},
    Type{".json", "application/json; charset=utf-8", true},
    Type{".map", "application/json; charset=utf-8", true},
    Type{".svg", "image/svg+xml", true},
    Type{".txt", "text/plain; charset=utf-8", true},
    Type{".ico", "image/x-icon", true},
    Type{".png", "image/png", false},
    Type{".jpg", "image/jpeg", false},
    Type{".jpeg", "image/jpeg", false},
    Type{".gif", "image/gif", false},
    Type{".webp", "image/webp", false},
    Type{".woff", "font/woff", false},
    Type{".woff2", "font/woff2", false},
    Type{".ttf", "font/ttf", true},
    Type{".wasm", "application/wasm", false},
};

const Type* type_of(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || name.find('/', dot) != std::string_view::npos)
    return nullptr;
  std::string ext(name.substr(dot));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const auto& t : kTypes)
    if (t.ext == ext) return &t;
  return nullptr;
}

// gzip (not raw deflate): what browsers accept as Content-Encoding: gzip. Empty on failure.
std::string gzip(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string{};
}

bool accepts_gzip(const Context& ctx) {
  const auto v = ctx.req[beast_http::field::accept_encoding];
  return std::string_view(v.data(), v.size()).find("gzip") != std::string_view::npos;
}

bool has_extension(std::string_view rest) {
  const auto slash = rest.rfind('/');
  const auto last = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
  return last.find('.') != std::string_view::npos;
}

}  // namespace

std::string_view content_type_for(std::string_view name) {
  const auto* t = type_of(name);
  return t ? t->type : "application/octet-stream";
}

std::variant<StaticSite, std::string> StaticSite::load(const fs::path& dir, std::string mount,
                                                       std::size_t max_bytes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fmt::format("{} is not a directory", dir.string());
  if (!fs::is_regular_file(dir / "index.html", ec))
    return fmt::format("{} has no index.html", dir.string());
  StaticSite site;
  site.mount_ = std::move(mount);
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const auto rel = fs::relative(it->path(), dir, ec).generic_string();
    if (ec) break;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream buf;
    buf << in.rdbuf();
    if (!in.good() && !in.eof()) return fmt::format("cannot read {}", it->path().string());
    File f;
    f.body = std::move(buf).str();
    site.bytes_ += f.body.size();
    if (site.bytes_ > max_bytes)
      return fmt::format("{} holds more than {} MiB", dir.string(), max_bytes >> 20);
    const auto* t = type_of(rel);
    f.content_type = t ? std::string(t->type) : "application/octet-stream";
    if (t && t->text && f.body.size() > 256) {
      f.gzip = gzip(f.body);
      if (f.gzip.size() >= f.body.size()) f.gzip.clear();
    }
    f.etag = "\"" + security::sha256_hex(f.body).substr(0, 20) + "\"";
    // Build tools put content-hashed files under assets/ (uni-app, Vite).
    f.immutable = rel.starts_with("assets/") || rel.starts_with("static/assets/");
    site.files_.emplace(rel, std::move(f));
  }
  if (ec) return fmt::format("cannot list {}: {}", dir.string(), ec.message());
  return site;
}

Response StaticSite::serve(const Context& ctx, std::string_view rest) const {
  if (rest.empty() && !ctx.path.ends_with("/")) {
    // "/m" → "/m/", so the page's relative links resolve under the mount.
    auto res =
        body_response(ctx, beast_http::status::moved_permanently, "text/plain; charset=utf-8", "");
    res.set(beast_http::field::location, mount_);
    return res;
  }
  // Files are looked up by exact name, so nothing outside the directory can be reached; a
  // dot-dot path is answered as what it is, not with the page.
  if (rest == ".." || rest.starts_with("../") || rest.find("/../") != std::string_view::npos ||
      rest.ends_with("/.."))
    return error_response(ctx, beast_http::status::not_found, "not_found", "no such file");
  const std::string key = rest.empty() ? "index.html" : std::string(rest);
  auto it = files_.find(key);
  if (it == files_.end() && !has_extension(rest)) it = files_.find("index.html");
  if (it == files_.end())
    return error_response(ctx, beast_http::status::not_found, "not_found",
                          fmt::format("no file {}{}", mount_, rest));
  const File& f = it->second;
  const auto inm = ctx.req[beast_http::field::if_none_match];
  const bool fresh = std::string_view(inm.data(), inm.size()) == f.etag;
  const bool zipped = !fresh && !f.gzip.empty() && accepts_gzip(ctx);
  auto res = body_response(ctx, fresh ? beast_http::status::not_modified : beast_http::status::ok,
                           f.content_type,
                           fresh    ? std::string()
                           : zipped ? f.gzip
                                    : f.body);
  res.set(beast_http::field::cache_control,
          f.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  res.set(beast_http::field::etag, f.etag);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "same-origin");
  if (!f.gzip.empty()) res.set(beast_http::field::vary, "Accept-Encoding");
  if (zipped) res.set(beast_http::field::content_encoding, "gzip");
  return res;
}

}  // namespace coldtrack::http
