#include "app/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <string>

namespace coldtrack::app {
namespace {

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;

// A uniquely named file in the temp directory, removed on destruction.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) : path_(unique_path()) {
    std::ofstream out(path_, std::ios::binary);
    out << contents;
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  std::string path() const { return path_.string(); }

  static fs::path unique_path() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    return fs::temp_directory_path() /
           ("coldtrack_config_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(counter++) + "_" + std::to_string(rd()) + ".yaml");
  }

 private:
  fs::path path_;
};

// Runs `fn`, expecting a ConfigError; returns it (or fails the test).
ConfigError expect_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected ConfigError, got another exception: " << e.what();
    return ConfigError("", "");
  }
  ADD_FAILURE() << "expected ConfigError, nothing was thrown";
  return ConfigError("", "");
}

ConfigError file_error(const std::string& yaml, const Env& env = {}) {
  TempFile f(yaml);
  return expect_error([&] { load_config(f.path(), env); });
}

ConfigError env_error(const Env& env) {
  return expect_error([&] { load_config(std::nullopt, env); });
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- defaults, file, environment -----------------------------------------------------------

TEST(ConfigTest, DefaultsWithoutFile) {
  for (const auto& file : {std::optional<std::string>{}, std::optional<std::string>{""}}) {
    Config c = load_config(file, {});
    EXPECT_EQ(c.server.host, "0.0.0.0");
    EXPECT_EQ(c.server.port, 8080);
    EXPECT_EQ(c.server.io_threads, 1);
    EXPECT_EQ(c.server.worker_threads, 8);
    EXPECT_EQ(c.server.metrics_listen, "");
    EXPECT_EQ(c.server.max_body_bytes, std::size_t{1} << 20);
    EXPECT_EQ(c.server.header_timeout_s, 10);
    EXPECT_EQ(c.server.idle_timeout_s, 60);
    EXPECT_EQ(c.server.shutdown_grace_s, 20);
    EXPECT_EQ(c.store.backend, "sqlite");
    EXPECT_EQ(c.store.sqlite.path, "./data/coldtrack.db");
    EXPECT_EQ(c.store.sqlite.synchronous, "full");
    EXPECT_EQ(c.store.sqlite.busy_timeout_ms, 5000);
    EXPECT_EQ(c.security.data_key, "");
    EXPECT_EQ(c.security.signature_window_s, 300);
    EXPECT_TRUE(c.archive.enabled);
    EXPECT_EQ(c.archive.after_days, 180);
    EXPECT_EQ(c.archive.interval_s, 3600);
    EXPECT_EQ(c.archive.batch_size, 500);
    EXPECT_EQ(c.track.rate_limit_per_minute, 30);
    EXPECT_EQ(c.log.level, "info");
    EXPECT_EQ(c.display.time_zone, "Asia/Shanghai");
    EXPECT_EQ(c.display.utc_offset_minutes, 480);
  }
}

TEST(ConfigTest, EmptyFileGivesDefaults) {
  for (const char* text : {"", "# only a comment\n", "---\n"}) {
    TempFile f(text);
    Config c = load_config(f.path(), {});
    EXPECT_EQ(c.server.port, 8080) << text;
    EXPECT_EQ(c.log.level, "info") << text;
  }
}

TEST(ConfigTest, ReadsFileValues) {
  const std::string key(64, 'a');
  TempFile f(R"(
server:
  host: 127.0.0.1
  port: 9090
  io_threads: 2
  worker_threads: 6
  metrics_listen: "127.0.0.1:9100"
  max_body_bytes: 2MiB
  header_timeout_s: 5
  idle_timeout_s: 30
  shutdown_grace_s: 0
store:
  backend: sqlite
  sqlite:
    path: /var/lib/coldtrack/db.sqlite
    synchronous: normal
    busy_timeout_ms: 100
security:
  data_key: )" +
             key + R"(
  signature_window_s: 60
archive:
  enabled: no
  after_days: 30
  interval_s: 60
  batch_size: 10
track:
  rate_limit_per_minute: 5
log:
  level: debug
display:
  time_zone: "-05:30"
)");
  Config c = load_config(f.path(), {});
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.server.port, 9090);
  EXPECT_EQ(c.server.io_threads, 2);
  EXPECT_EQ(c.server.worker_threads, 6);
  EXPECT_EQ(c.server.metrics_listen, "127.0.0.1:9100");
  EXPECT_EQ(c.server.max_body_bytes, std::size_t{2} << 20);
  EXPECT_EQ(c.server.header_timeout_s, 5);
  EXPECT_EQ(c.server.idle_timeout_s, 30);
  EXPECT_EQ(c.server.shutdown_grace_s, 0);
  EXPECT_EQ(c.store.backend, "sqlite");
  EXPECT_EQ(c.store.sqlite.path, "/var/lib/coldtrack/db.sqlite");
  EXPECT_EQ(c.store.sqlite.synchronous, "normal");
  EXPECT_EQ(c.store.sqlite.busy_timeout_ms, 100);
  EXPECT_EQ(c.security.data_key, key);
  EXPECT_EQ(c.security.signature_window_s, 60);
  EXPECT_FALSE(c.archive.enabled);
  EXPECT_EQ(c.archive.after_days, 30);
  EXPECT_EQ(c.archive.interval_s, 60);
  EXPECT_EQ(c.archive.batch_size, 10);
  EXPECT_EQ(c.track.rate_limit_per_minute, 5);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.display.time_zone, "-05:30");
  EXPECT_EQ(c.display.utc_offset_minutes, -330);
}

TEST(ConfigTest, PartialFileKeepsOtherDefaults) {
  TempFile f("server:\n  port: 0\nstore:\n");
  Config c = load_config(f.path(), {});
  EXPECT_EQ(c.server.port, 0);
  EXPECT_EQ(c.server.host, "0.0.0.0");
  EXPECT_EQ(c.store.sqlite.path, "./data/coldtrack.db");
}

TEST(ConfigTest, EnvironmentOverridesFile) {
  TempFile f("server:\n  port: 9090\n  io_threads: 2\nstore:\n  sqlite:\n    path: /from/file\n");
  const std::string key(64, 'F');
  Config c = load_config(f.path(), {{"COLDTRACK_SERVER_PORT", "7070"},
                                    {"COLDTRACK_STORE_SQLITE_PATH", "/from/env"},
                                    {"COLDTRACK_SERVER_IO_THREADS", "3"},
                                    {"COLDTRACK_SECURITY_DATA_KEY", key},
                                    {"COLDTRACK_ARCHIVE_AFTER_DAYS", "90"},
                                    {"COLDTRACK_DISPLAY_TIME_ZONE", "UTC"},
                                    {"PATH", "/usr/bin"},
                                    {"HOME", "/root"}});
  EXPECT_EQ(c.server.port, 7070);
  EXPECT_EQ(c.store.sqlite.path, "/from/env");
  EXPECT_EQ(c.server.io_threads, 3);
  EXPECT_EQ(c.security.data_key, key);
  EXPECT_EQ(c.archive.after_days, 90);
  EXPECT_EQ(c.display.time_zone, "UTC");
  EXPECT_EQ(c.display.utc_offset_minutes, 0);
}

TEST(ConfigTest, EnvironmentBooleans) {
  for (const auto& [text, want] : std::vector<std::pair<std::string, bool>>{{"true", true},
                                                                            {"TRUE", true},
                                                                            {"Yes", true},
                                                                            {"1", true},
                                                                            {"false", false},
                                                                            {"False", false},
                                                                            {"NO", false},
                                                                            {"0", false}}) {
    Config c = load_config(std::nullopt, {{"COLDTRACK_ARCHIVE_ENABLED", text}});
    EXPECT_EQ(c.archive.enabled, want) << text;
  }
  ConfigError e = env_error({{"COLDTRACK_ARCHIVE_ENABLED", "maybe"}});
  EXPECT_EQ(e.key, "archive.enabled");
  EXPECT_TRUE(contains(e.what(), "COLDTRACK_ARCHIVE_ENABLED")) << e.what();
  EXPECT_TRUE(contains(e.what(), "\"maybe\"")) << e.what();
}

TEST(ConfigTest, ClientVariablesAreIgnored) {
  Config c = load_config(std::nullopt, {{"COLDTRACK_API_KEY", "k"},
                                        {"COLDTRACK_API_SECRET", "s"},
                                        {"COLDTRACK_URL", "http://localhost:8080"}});
  EXPECT_EQ(c.server.port, 8080);
}

TEST(ConfigTest, EveryKeyHasAnEnvironmentVariable) {
  std::set<std::string> names;
  for (const std::string& key : config_keys()) {
    std::string name = "COLDTRACK_";
    for (char ch : key) name += ch == '.' ? '_' : static_cast<char>(std::toupper(ch));
    EXPECT_TRUE(names.insert(name).second) << "duplicate env name " << name;
    // A bad value must be reported against the key, proving the variable is recognized.
    try {
      load_config(std::nullopt, {{name, "\x01not valid"}});
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key, key) << e.what();
    }
  }
}

// --- errors ----------------------------------------------------------------------------------

TEST(ConfigTest, UnknownNestedKeyNamesFullPath) {
  ConfigError e = file_error("server:\n  prot: 8080\n");
  EXPECT_EQ(e.key, "server.prot");
  EXPECT_STREQ(e.what(), "server.prot: unknown key");

  e = file_error("store:\n  sqlite:\n    paht: x\n");
  EXPECT_EQ(e.key, "store.sqlite.paht");

  e = file_error("nonsense: 1\n");
  EXPECT_EQ(e.key, "nonsense");

  // The derived offset is not a key, and dotted names are not a substitute for nesting.
  e = file_error("display:\n  utc_offset_minutes: 60\n");
  EXPECT_EQ(e.key, "display.utc_offset_minutes");
  e = file_error("server.port: 1\n");
  EXPECT_EQ(e.key, "server.port");
  EXPECT_TRUE(contains(e.what(), "unknown key")) << e.what();
}

TEST(ConfigTest, UnknownEnvironmentVariableNamesIt) {
  ConfigError e = env_error({{"COLDTRACK_SERVER_PROT", "1"}});
  EXPECT_EQ(e.key, "COLDTRACK_SERVER_PROT");
  EXPECT_TRUE(contains(e.what(), "COLDTRACK_SERVER_PROT")) << e.what();

  e = env_error({{"COLDTRACK_DISPLAY_UTC_OFFSET_MINUTES", "60"}});
  EXPECT_EQ(e.key, "COLDTRACK_DISPLAY_UTC_OFFSET_MINUTES");
}

TEST(ConfigTest, WrongTypeNamesKeyAndExpectation) {
  ConfigError e = file_error("server:\n  port: abc\n");
  EXPECT_EQ(e.key, "server.port");
  EXPECT_STREQ(e.what(), "server.port: expected an integer in 0..65535, got \"abc\"");

  e = file_error("archive:\n  enabled: perhaps\n");
  EXPECT_EQ(e.key, "archive.enabled");
  EXPECT_TRUE(contains(e.what(), "boolean")) << e.what();

  e = file_error("server:\n  max_body_bytes: lots\n");
  EXPECT_EQ(e.key, "server.max_body_bytes");

  e = env_error({{"COLDTRACK_SERVER_PORT", "80x"}});
  EXPECT_EQ(e.key, "server.port");
  EXPECT_TRUE(contains(e.what(), "expected an integer in 0..65535")) << e.what();
  EXPECT_TRUE(contains(e.what(), "COLDTRACK_SERVER_PORT")) << e.what();
}

TEST(ConfigTest, MapScalarMismatchNamesKey) {
  // A scalar where a section is expected.
  ConfigError e = file_error("server: 8080\n");
  EXPECT_EQ(e.key, "server");
  EXPECT_TRUE(contains(e.what(), "expected a map")) << e.what();
  e = file_error("store:\n  sqlite: /tmp/x.db\n");
  EXPECT_EQ(e.key, "store.sqlite");

  // A map or a sequence where a value is expected.
  e = file_error("server:\n  port:\n    value: 1\n");
  EXPECT_EQ(e.key, "server.port");
  EXPECT_TRUE(contains(e.what(), "got a map")) << e.what();
  e = file_error("log:\n  level: [info, debug]\n");
  EXPECT_EQ(e.key, "log.level");
  EXPECT_TRUE(contains(e.what(), "got a sequence")) << e.what();
  e = file_error("server:\n  port:\n");
  EXPECT_EQ(e.key, "server.port");
}

TEST(ConfigTest, OutOfRangeNamesKeyAndRange) {
  ConfigError e = file_error("server:\n  port: 65536\n");
  EXPECT_EQ(e.key, "server.port");
  EXPECT_TRUE(contains(e.what(), "0..65535")) << e.what();

  e = file_error("server:\n  io_threads: 0\n");
  EXPECT_EQ(e.key, "server.io_threads");
  EXPECT_TRUE(contains(e.what(), "1..64")) << e.what();

  e = env_error({{"COLDTRACK_ARCHIVE_AFTER_DAYS", "36501"}});
  EXPECT_EQ(e.key, "archive.after_days");

  e = env_error({{"COLDTRACK_SERVER_MAX_BODY_BYTES", "128MiB"}});
  EXPECT_EQ(e.key, "server.max_body_bytes");
  e = env_error({{"COLDTRACK_SERVER_MAX_BODY_BYTES", "1000"}});
  EXPECT_EQ(e.key, "server.max_body_bytes");
  e = env_error({{"COLDTRACK_SERVER_PORT", "99999999999999999999999"}});
  EXPECT_EQ(e.key, "server.port");

  // Bounds themselves are accepted.
  Config c = load_config(std::nullopt, {{"COLDTRACK_SERVER_IO_THREADS", "64"},
                                        {"COLDTRACK_SERVER_MAX_BODY_BYTES", "1024"},
                                        {"COLDTRACK_ARCHIVE_INTERVAL_S", "604800"}});
  EXPECT_EQ(c.server.io_threads, 64);
  EXPECT_EQ(c.server.max_body_bytes, 1024u);
  EXPECT_EQ(c.archive.interval_s, 604800);
}

TEST(ConfigTest, BadEnumNamesKeyAndChoices) {
  ConfigError e = file_error("log:\n  level: verbose\n");
  EXPECT_EQ(e.key, "log.level");
  EXPECT_TRUE(contains(e.what(), "trace|debug|info|warn|error|off")) << e.what();

  e = file_error("store:\n  backend: postgres\n");
  EXPECT_EQ(e.key, "store.backend");
  EXPECT_TRUE(contains(e.what(), "sqlite")) << e.what();

  e = env_error({{"COLDTRACK_STORE_SQLITE_SYNCHRONOUS", "off"}});
  EXPECT_EQ(e.key, "store.sqlite.synchronous");
}

TEST(ConfigTest, BadDataKeyDoesNotLeakValue) {
  const std::string short_key = "00112233445566778899aabbccddeeff";  // 32 chars
  ConfigError e = file_error("security:\n  data_key: " + short_key + "\n");
  EXPECT_EQ(e.key, "security.data_key");
  EXPECT_FALSE(contains(e.what(), short_key)) << e.what();

  const std::string not_hex = std::string(63, 'a') + "g";
  e = env_error({{"COLDTRACK_SECURITY_DATA_KEY", not_hex}});
  EXPECT_EQ(e.key, "security.data_key");
  EXPECT_FALSE(contains(e.what(), not_hex)) << e.what();
  EXPECT_FALSE(contains(e.what(), "aaaaaaaa")) << e.what();

  // Empty means "not configured".
  Config c = load_config(std::nullopt, {{"COLDTRACK_SECURITY_DATA_KEY", ""}});
  EXPECT_EQ(c.security.data_key, "");
}

TEST(ConfigTest, BadTimeZoneNamesKey) {
  ConfigError e = file_error("display:\n  time_zone: Mars/Olympus\n");
  EXPECT_EQ(e.key, "display.time_zone");
  e = env_error({{"COLDTRACK_DISPLAY_TIME_ZONE", "+15:00"}});
  EXPECT_EQ(e.key, "display.time_zone");
}

TEST(ConfigTest, BadMetricsListenNamesKey) {
  for (const char* bad : {"9100", "host:", "host:70000", ":9100", "::1:9100"}) {
    ConfigError e = env_error({{"COLDTRACK_SERVER_METRICS_LISTEN", bad}});
    EXPECT_EQ(e.key, "server.metrics_listen") << bad;
  }
  Config c = load_config(std::nullopt, {{"COLDTRACK_SERVER_METRICS_LISTEN", "[::1]:9100"}});
  EXPECT_EQ(c.server.metrics_listen, "[::1]:9100");
}

TEST(ConfigTest, InvalidYamlNamesFile) {
  TempFile f("server:\n  port: [1, 2\n");
  ConfigError e = expect_error([&] { load_config(f.path(), {}); });
  EXPECT_EQ(e.key, "");
  EXPECT_TRUE(contains(e.what(), f.path())) << e.what();
}

TEST(ConfigTest, TopLevelMustBeAMap) {
  for (const char* text : {"just a string\n", "- a\n- b\n", "42\n"}) {
    TempFile f(text);
    ConfigError e = expect_error([&] { load_config(f.path(), {}); });
    EXPECT_EQ(e.key, "") << text;
    EXPECT_TRUE(contains(e.what(), f.path())) << e.what();
    EXPECT_TRUE(contains(e.what(), "map")) << e.what();
  }
}

TEST(ConfigTest, MissingFileNamesFile) {
  const std::string path = TempFile::unique_path().string();
  ConfigError e = expect_error([&] { load_config(path, {}); });
  EXPECT_EQ(e.key, "");
  EXPECT_TRUE(contains(e.what(), path)) << e.what();

  const std::string dir = fs::temp_directory_path().string();
  e = expect_error([&] { load_config(dir, {}); });
  EXPECT_EQ(e.key, "");
  EXPECT_TRUE(contains(e.what(), dir)) << e.what();
}

TEST(ConfigTest, DuplicateKeyIsAnError) {
  ConfigError e = file_error("server:\n  port: 1\n  port: 2\n");
  EXPECT_EQ(e.key, "server.port");
}

// --- keys and time zones ---------------------------------------------------------------------

TEST(ConfigTest, ConfigKeysContainsRequiredKeys) {
  const std::vector<std::string> keys = config_keys();
  for (const char* want : {"server.host",
                           "server.port",
                           "server.io_threads",
                           "server.worker_threads",
                           "server.metrics_listen",
                           "server.max_body_bytes",
                           "server.header_timeout_s",
                           "server.idle_timeout_s",
                           "server.shutdown_grace_s",
                           "store.backend",
                           "store.sqlite.path",
                           "store.sqlite.synchronous",
                           "store.sqlite.busy_timeout_ms",
                           "security.data_key",
                           "security.signature_window_s",
                           "archive.enabled",
                           "archive.after_days",
                           "archive.interval_s",
                           "archive.batch_size",
                           "track.rate_limit_per_minute",
                           "log.level",
                           "display.time_zone"}) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), want), keys.end()) << want;
  }
  EXPECT_EQ(std::find(keys.begin(), keys.end(), "display.utc_offset_minutes"), keys.end());
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size());
  EXPECT_EQ(config_keys(), keys);  // stable order
  EXPECT_EQ(keys.front(), "server.host");
}

TEST(ConfigTest, ParseTimeZone) {
  EXPECT_EQ(parse_time_zone("Asia/Shanghai"), 480);
  EXPECT_EQ(parse_time_zone("Asia/Hong_Kong"), 480);
  EXPECT_EQ(parse_time_zone("Asia/Taipei"), 480);
  EXPECT_EQ(parse_time_zone("UTC"), 0);
  EXPECT_EQ(parse_time_zone("Etc/UTC"), 0);
  EXPECT_EQ(parse_time_zone("+08:00"), 480);
  EXPECT_EQ(parse_time_zone("-03:30"), -210);
  EXPECT_EQ(parse_time_zone("+14:00"), 840);
  EXPECT_EQ(parse_time_zone("-14:00"), -840);
  EXPECT_EQ(parse_time_zone("+00:00"), 0);
  for (const char* bad : {"", "Europe/Nowhere", "+14:01", "-15:00", "+8:00", "+08:60", "08:00",
                          "+08:00 ", "+0800", "utc"}) {
    EXPECT_EQ(parse_time_zone(bad), std::nullopt) << bad;
  }
}

TEST(ConfigTest, ProcessEnvironmentReadsEnviron) {
  const std::string name = "COLDTRACK_CONFIG_TEST_PROBE";
  ASSERT_EQ(::setenv(name.c_str(), "a=b", 1), 0);
  auto env = process_environment();
  ::unsetenv(name.c_str());
  ASSERT_EQ(env.count(name), 1u);
  EXPECT_EQ(env[name], "a=b");
}

}  // namespace
}  // namespace coldtrack::app

namespace coldtrack::app {
namespace {

TEST(ConfigMonitoring, ReadsEtaAnomalyAndColdChainKeys) {
  TempFile f(
      "eta:\n  origin_city: 青岛市\n  service_levels: \"SF=1-2,ZTO=2-5\"\n  cutoff_hour: 18\n"
      "anomalies:\n  sweep_interval_s: 60\n  overrides: \"frozen.no_update_h=8,SF.pickup_h=24\"\n"
      "cold_chain:\n  mkt_activation_energy_kj: 100.5\n");
  const auto c = load_config(f.path(), {{"COLDTRACK_ETA_MIN_LANE_SAMPLES", "5"}});
  EXPECT_EQ(c.eta.origin_city, "青岛市");
  EXPECT_EQ(c.eta.service_levels, "SF=1-2,ZTO=2-5");
  EXPECT_EQ(c.eta.cutoff_hour, 18);
  EXPECT_EQ(c.eta.min_lane_samples, 5);
  EXPECT_EQ(c.anomalies.sweep_interval_s, 60);
  EXPECT_EQ(c.anomalies.overrides, "frozen.no_update_h=8,SF.pickup_h=24");
  EXPECT_DOUBLE_EQ(c.cold_chain.mkt_activation_energy_kj, 100.5);
  const auto d = load_config(std::nullopt, {});
  EXPECT_DOUBLE_EQ(d.cold_chain.mkt_activation_energy_kj, 83.144);
  EXPECT_EQ(d.eta.origin_city, "上海市");
}

TEST(ConfigMonitoring, EtaHistoryDaysDefaultsTo90AndIsBounded) {
  EXPECT_EQ(load_config(std::nullopt, {}).eta.history_days, 90);
  TempFile f("eta:\n  history_days: 365\n");
  EXPECT_EQ(load_config(f.path(), {}).eta.history_days, 365);
  EXPECT_EQ(load_config(std::nullopt, {{"COLDTRACK_ETA_HISTORY_DAYS", "3650"}}).eta.history_days,
            3650);
  EXPECT_EQ(load_config(std::nullopt, {{"COLDTRACK_ETA_HISTORY_DAYS", "1"}}).eta.history_days, 1);
  EXPECT_EQ(env_error({{"COLDTRACK_ETA_HISTORY_DAYS", "0"}}).key, "eta.history_days");
  EXPECT_EQ(env_error({{"COLDTRACK_ETA_HISTORY_DAYS", "3651"}}).key, "eta.history_days");
}

TEST(ConfigMonitoring, BadMonitoringValuesNameTheKey) {
  EXPECT_EQ(env_error({{"COLDTRACK_ANOMALIES_OVERRIDES", "frozen.no_such_h=3"}}).key,
            "anomalies.overrides");
  EXPECT_EQ(env_error({{"COLDTRACK_ETA_SERVICE_LEVELS", "SF=two-days"}}).key, "eta.service_levels");
  EXPECT_EQ(env_error({{"COLDTRACK_COLD_CHAIN_MKT_ACTIVATION_ENERGY_KJ", "5"}}).key,
            "cold_chain.mkt_activation_energy_kj");
  EXPECT_EQ(env_error({{"COLDTRACK_ETA_CUTOFF_HOUR", "24"}}).key, "eta.cutoff_hour");
  EXPECT_EQ(env_error({{"COLDTRACK_ETA_ORIGIN_CITY", ""}}).key, "eta.origin_city");
}

}  // namespace
}  // namespace coldtrack::app
