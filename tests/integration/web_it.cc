// The customer H5 page served by `coldtrack serve` under /m/, from a built directory, through the
// real binary: pages, the page router's paths, compressed assets, and a clear answer when the
// page was not built.
#include <filesystem>
#include <fstream>

#include "fixtures.h"

namespace coldtrack::it {
namespace {

namespace fs = std::filesystem;

class Web : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ct-web-it-" + security::random_hex(6));
    fs::create_directories(dir_ / "assets");
    std::ofstream(dir_ / "index.html") << "<!doctype html><title>冷链查询</title><div id=app>";
    std::ofstream(dir_ / "assets" / "index-a1b2.js") << std::string(5000, ';') << "track()";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(Web, ServesTheBuiltPageUnderM) {
  ServerProcess s({{"COLDTRACK_WEB_H5_DIR", dir_.string()}});
  s.start();
  auto index = s.request("GET", "/m/");
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_EQ(index.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("冷链查询"), std::string::npos);
  // The page's own routes (history mode) load the same page.
  auto deep = s.request("GET", "/m/pages/tracking/index?order_no=A1&phone_last4=1234");
  EXPECT_EQ(deep.status, 200);
  EXPECT_EQ(deep.body, index.body);
  auto bare = s.request("GET", "/m");
  EXPECT_EQ(bare.status, 301);
  EXPECT_EQ(bare.header("location"), "/m/");

  auto js =
      s.request("GET", "/m/assets/index-a1b2.js", "", std::nullopt, {{"Accept-Encoding", "gzip"}});
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.header("content-encoding"), "gzip");
  EXPECT_LT(js.body.size(), 200u);
  EXPECT_EQ(js.header("cache-control"), "public, max-age=31536000, immutable");
  auto revalidate = s.request("GET", "/m/assets/index-a1b2.js", "", std::nullopt,
                              {{"If-None-Match", js.header("etag")}});
  EXPECT_EQ(revalidate.status, 304);

  auto missing = s.request("GET", "/m/assets/missing.css");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.error_code(), "not_found");
  // Only files of the built directory: no way out of it.
  EXPECT_EQ(s.request("GET", "/m/../../etc/passwd").status, 404);
  auto encoded = s.request("GET", "/m/%2e%2e/%2e%2e/etc/passwd");
  EXPECT_EQ(encoded.body.find("root:"), std::string::npos);
  // The API is unaffected.
  EXPECT_EQ(s.request("GET", "/healthz").status, 200);
}

TEST_F(Web, AnUnbuiltPageIsAClear404AndTheApiStillServes) {
  ServerProcess s({{"COLDTRACK_WEB_H5_DIR", (dir_ / "not-built").string()}});
  s.start();
  auto r = s.request("GET", "/m/");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error_code(), "not_found");
  EXPECT_NE(r.body.find("build-web.sh"), std::string::npos) << r.body;
  EXPECT_EQ(s.request("GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace coldtrack::it
