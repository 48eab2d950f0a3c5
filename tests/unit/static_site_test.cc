#include "http/static_site.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "http/router.h"

namespace coldtrack::http {
namespace {

namespace fs = std::filesystem;

std::string gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(in.size() * 50 + 1024, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ct-static-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "assets");
    write("index.html", "<!doctype html><title>查询</title><div id=app></div>");
    js_ = std::string(4000, 'x') + "console.log('冷链');";
    write("assets/index-3f9a.js", js_);
    write("logo.png", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(600, '\0'));
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& body) {
    std::ofstream(dir_ / rel, std::ios::binary) << body;
  }
  StaticSite load() {
    auto r = StaticSite::load(dir_, "/m/", std::size_t{1} << 20);
    if (auto* e = std::get_if<std::string>(&r)) ADD_FAILURE() << *e;
    return std::get<StaticSite>(std::move(r));
  }
  Response get(const StaticSite& site, std::string path, std::string accept = "",
               std::string if_none_match = "") {
    req_ = Request{beast_http::verb::get, path, 11};
    if (!accept.empty()) req_.set(beast_http::field::accept_encoding, accept);
    if (!if_none_match.empty()) req_.set(beast_http::field::if_none_match, if_none_match);
    path_ = path;
    Context ctx{req_, "rid", "127.0.0.1", path_, {}, {}, std::nullopt};
    const std::string_view mount = "/m/";
    std::string rest = path_.size() > mount.size() ? path_.substr(mount.size()) : "";
    return site.serve(ctx, rest);
  }

  fs::path dir_;
  std::string js_;
  Request req_;
  std::string path_;
};

TEST_F(StaticSiteTest, ServesFilesWithTheirTypesAndIndexForPagePaths) {
  auto site = load();
  EXPECT_EQ(site.file_count(), 3u);
  auto index = get(site, "/m/");
  EXPECT_EQ(index.result(), beast_http::status::ok);
  EXPECT_EQ(index[beast_http::field::content_type], "text/html; charset=utf-8");
  EXPECT_NE(index.body().find("查询"), std::string::npos);
  EXPECT_EQ(index[beast_http::field::cache_control], "no-cache");

  // A page route of the front end's own router (no extension) gets index.html.
  auto page = get(site, "/m/pages/lookup/index");
  EXPECT_EQ(page.result(), beast_http::status::ok);
  EXPECT_EQ(page.body(), index.body());

  auto png = get(site, "/m/logo.png", "gzip");
  EXPECT_EQ(png[beast_http::field::content_type], "image/png");
  EXPECT_EQ(png[beast_http::field::content_encoding], "");  // binary: never compressed
  EXPECT_EQ(png.body().size(), 608u);

  // A missing file with an extension is a 404, not the index.
  auto missing = get(site, "/m/assets/gone.js");
  EXPECT_EQ(missing.result(), beast_http::status::not_found);
  EXPECT_NE(missing.body().find("/m/assets/gone.js"), std::string::npos);
}

TEST_F(StaticSiteTest, HashedAssetsAreImmutableAndGzipOnlyWhenAccepted) {
  auto site = load();
  auto plain = get(site, "/m/assets/index-3f9a.js");
  EXPECT_EQ(plain.body(), js_);
  EXPECT_EQ(plain[beast_http::field::content_encoding], "");
  EXPECT_EQ(plain[beast_http::field::cache_control], "public, max-age=31536000, immutable");
  EXPECT_EQ(plain[beast_http::field::vary], "Accept-Encoding");

  auto zipped = get(site, "/m/assets/index-3f9a.js", "gzip, deflate, br");
  EXPECT_EQ(zipped[beast_http::field::content_encoding], "gzip");
  EXPECT_LT(zipped.body().size(), js_.size() / 10);
  EXPECT_EQ(gunzip(zipped.body()), js_);
}

TEST_F(StaticSiteTest, MatchingEtagAnswersNotModifiedWithoutBody) {
  auto site = load();
  auto first = get(site, "/m/assets/index-3f9a.js");
  const std::string etag(first[beast_http::field::etag]);
  ASSERT_FALSE(etag.empty());
  auto again = get(site, "/m/assets/index-3f9a.js", "gzip", etag);
  EXPECT_EQ(again.result(), beast_http::status::not_modified);
  EXPECT_TRUE(again.body().empty());
  auto stale = get(site, "/m/assets/index-3f9a.js", "", "\"other\"");
  EXPECT_EQ(stale.result(), beast_http::status::ok);
}

TEST_F(StaticSiteTest, BarePrefixRedirectsToTheMount) {
  auto site = load();
  auto r = get(site, "/m");
  EXPECT_EQ(r.result(), beast_http::status::moved_permanently);
  EXPECT_EQ(r[beast_http::field::location], "/m/");
}

TEST_F(StaticSiteTest, LoadRefusesMissingDirectoriesPagesWithoutIndexAndOversizedBuilds) {
  auto missing = StaticSite::load(dir_ / "nope", "/m/", 1 << 20);
  ASSERT_TRUE(std::holds_alternative<std::string>(missing));
  EXPECT_NE(std::get<std::string>(missing).find("not a directory"), std::string::npos);

  fs::remove(dir_ / "index.html");
  auto no_index = StaticSite::load(dir_, "/m/", 1 << 20);
  ASSERT_TRUE(std::holds_alternative<std::string>(no_index));
  EXPECT_NE(std::get<std::string>(no_index).find("index.html"), std::string::npos);

  write("index.html", "<html></html>");
  auto too_big = StaticSite::load(dir_, "/m/", 1000);
  ASSERT_TRUE(std::holds_alternative<std::string>(too_big));
  EXPECT_NE(std::get<std::string>(too_big).find("more than"), std::string::npos);
}

TEST(ContentType, ByExtensionCaseInsensitive) {
  EXPECT_EQ(content_type_for("a/b.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("x.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("dir.v2/file"), "application/octet-stream");
  EXPECT_EQ(content_type_for("noext"), "application/octet-stream");
}

TEST(RouterTail, CapturesTheRestOfThePath) {
  Router router;
  auto h = [](Context&) -> boost::asio::awaitable<Response> { co_return Response{}; };
  router.add(beast_http::verb::get, "/m/{*path}", Access::kPublic, Role::kViewer, h);
  router.add(beast_http::verb::get, "/api/orders/{order_no}", Access::kPublic, Role::kViewer, h);
  auto deep = router.match(beast_http::verb::get, "/m/pages/order/detail");
  ASSERT_NE(deep.route, nullptr);
  EXPECT_EQ(deep.params.at("path"), "pages/order/detail");
  auto root = router.match(beast_http::verb::get, "/m/");
  ASSERT_NE(root.route, nullptr);
  EXPECT_EQ(root.params.at("path"), "");
  auto bare = router.match(beast_http::verb::get, "/m");
  ASSERT_NE(bare.route, nullptr);
  EXPECT_EQ(bare.params.at("path"), "");
  EXPECT_EQ(router.match(beast_http::verb::get, "/mx/a").route, nullptr);
  // Fixed routes keep their exact segment count.
  EXPECT_EQ(router.match(beast_http::verb::get, "/api/orders/A/extra").route, nullptr);
  EXPECT_EQ(router.match(beast_http::verb::post, "/m/x").allowed, "GET");
}

}  // namespace
}  // namespace coldtrack::http
