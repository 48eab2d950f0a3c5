// `coldtrack backup` while the service takes writes, and `coldtrack restore` into a fresh
// directory, through the real binary: every order acknowledged before the backup began is in
// it, and every restored order reads back exactly as the source serves it.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "fixtures.h"

namespace coldtrack::it {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> all_orders(ServerProcess& s) {
  std::vector<std::string> out;
  std::string cursor;
  for (;;) {
    auto r = s.get(
        "/api/orders?archived=include&limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor),
        s.admin());
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return out;
    const auto page = r.json();
    for (const auto& o : page.as_object().at("items").as_array())
      out.push_back(str(o.as_object(), "order_no"));
    const auto& next = page.as_object().at("next_cursor");
    if (next.is_null()) return out;
    cursor = std::string(next.as_string());
  }
}

TEST(Backup, UnderWriteLoadThenRestoreIntoAFreshDirectoryKeepsEveryOrder) {
  ServerProcess s;
  s.start();
  const std::string file = s.dir() + "/backup.db";
  if (s.env().count("COLDTRACK_STORE_BACKEND") &&
      s.env().at("COLDTRACK_STORE_BACKEND") == "mysql") {
    // MariaDB is backed up with its own tool; the command says so instead of doing nothing.
    auto r = s.cli({"backup", "--to", file});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("mariadb-dump --single-transaction"), std::string::npos) << r.err;
    return;
  }
  std::mutex mu;
  std::vector<std::string> acknowledged;
  for (int i = 0; i < 20; ++i)
    acknowledged.push_back(
        str(must_create(s, order_body(unique_order_no("BK"), unique_phone())), "order_no"));
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    while (!stop) {
      const auto no = unique_order_no("BKW");
      auto r = create_order(s, order_body(no, unique_phone()));
      if (r.status != 201) {
        ++failures;
        continue;
      }
      ASSERT_EQ(change_status(s, no, "PAID").status, 200);
      std::lock_guard lock(mu);
      acknowledged.push_back(no);
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<std::string> before;
  {
    std::lock_guard lock(mu);
    before = acknowledged;
  }
  auto made = s.cli({"backup", "--to", file});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  writer.join();
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(failures.load(), 0) << "the backup must not disturb writes";
  const auto summary = json::parse(made.out).as_object();
  EXPECT_GE(summary.at("orders").as_int64(), static_cast<std::int64_t>(before.size()));
  EXPECT_FALSE(fs::exists(file + ".partial"));

  // A second backup to the same file needs --force.
  auto again = s.cli({"backup", "--to", file});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;

  // Restore into a fresh directory (same data key), then serve it.
  ServerProcess r({{"COLDTRACK_SECURITY_DATA_KEY", s.env().at("COLDTRACK_SECURITY_DATA_KEY")}});
  auto restored = r.cli({"restore", "--from", file});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(json::parse(restored.out).as_object().at("orders").as_int64(),
            summary.at("orders").as_int64());
  r.start();
  const auto in_backup = all_orders(r);
  const std::set<std::string> got(in_backup.begin(), in_backup.end());
  for (const auto& no : before)
    EXPECT_TRUE(got.count(no)) << no << " acknowledged before the backup";
  EXPECT_EQ(static_cast<std::int64_t>(got.size()), summary.at("orders").as_int64());
  for (const auto& no : in_backup) {
    auto a = s.get("/api/orders/" + no + "?reveal=true", s.admin());
    auto b = r.get("/api/orders/" + no + "?reveal=true", r.admin());
    ASSERT_EQ(b.status, 200) << b.body;
    // The source may have moved on since (a PAID after the backup); what the backup holds must
    // be the source's state at some point: the same order, customer and items.
    auto ja = a.json().as_object(), jb = b.json().as_object();
    for (const char* field :
         {"order_no", "customer", "address", "items", "amount_fen", "created_at"})
      EXPECT_EQ(json::serialize(ja.at(field)), json::serialize(jb.at(field))) << no << " " << field;
  }

  // While a server uses the database, restore refuses; a file that is no database is refused.
  auto busy = r.cli({"restore", "--from", file, "--force"});
  EXPECT_NE(busy.exit_code, 0);
  EXPECT_NE(busy.err.find("stop it"), std::string::npos) << busy.err;
  const std::string junk = s.dir() + "/junk.db";
  std::ofstream(junk) << std::string(8192, 'x');
  ServerProcess fresh({{"COLDTRACK_SECURITY_DATA_KEY", s.env().at("COLDTRACK_SECURITY_DATA_KEY")}});
  auto bad = fresh.cli({"restore", "--from", junk});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("restore failed"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace coldtrack::it
