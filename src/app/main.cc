// coldtrack: the order and cold-chain tracking service and its tools.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/url/parse.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/app.h"
#include "app/backup.h"
#include "app/config.h"
#include "app/gen_demo.h"
#include "app/log_format.h"
#include "app/migrate_data.h"
#include "http/client.h"
#include "sim/simulator.h"

namespace ct = coldtrack;

namespace {

spdlog::level::level_enum log_level(const std::string& s) {
  return spdlog::level::from_str(s == "warn" ? "warning" : s);
}

int run_client(const ct::app::Config& config, const std::string& method, const std::string& target,
               std::string data) {
  const char* url_env = std::getenv("COLDTRACK_URL");
  const std::string base =
      url_env ? url_env : fmt::format("http://127.0.0.1:{}", config.server.port);
  auto url = boost::urls::parse_absolute_uri(base);
  if (!url || url->scheme() != "http" || url->host().empty()) {
    std::cerr << "COLDTRACK_URL must be an http:// URL, got " << base << "\n";
    return 2;
  }
  const unsigned short port = url->has_port() ? url->port_number() : 80;
  if (target.empty() || target[0] != '/') {
    std::cerr << "PATH must start with '/', e.g. /api/orders\n";
    return 2;
  }
  if (!data.empty() && data[0] == '@') {
    std::ifstream in(data.substr(1));
    if (!in) {
      std::cerr << "cannot read " << data.substr(1) << "\n";
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    data = ss.str();
  }
  std::optional<ct::http::Credentials> creds;
  const char* key = std::getenv("COLDTRACK_API_KEY");
  const char* secret = std::getenv("COLDTRACK_API_SECRET");
  if (key && secret) {
    creds = ct::http::Credentials{key, secret};
  } else {
    std::cerr << "note: COLDTRACK_API_KEY / COLDTRACK_API_SECRET not set; sending unsigned\n";
  }
  try {
    ct::http::Client client(std::string(url->host()), port);
    auto res = client.request(method, target, data, creds);
    std::cout << res.body << std::endl;
    if (res.status < 200 || res.status >= 300) {
      std::cerr << "HTTP " << res.status << "\n";
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "request failed: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"ColdTrack: order and cold-chain tracking for frozen-food shops"};
  // Global options (--config, --log-format) may also follow the subcommand: `coldtrack serve
  // --config FILE` works as well as `coldtrack --config FILE serve`.
  cli.fallthrough();
  cli.require_subcommand(1);
  std::string config_file;
  cli.add_option("-c,--config", config_file, "YAML configuration file")->check(CLI::ExistingFile);
  std::string log_format;
  cli.add_option("--log-format", log_format,
                 "Log lines as text (for people) or json (one object a line); overrides log.format")
      ->check(CLI::IsMember({"text", "json"}));

  auto* serve = cli.add_subcommand("serve", "Run the HTTP API server");
  ct::app::ServeOptions serve_opts;
  serve->add_flag("--demo", serve_opts.demo,
                  "Seed demo data into an empty database, create a demo data key if none is "
                  "configured, and print an admin API key");
  serve->add_option("--demo-orders", serve_opts.demo_orders, "Demo orders to seed")
      ->check(CLI::Range(1, 10'000'000));

  auto* apikey = cli.add_subcommand("apikey", "Manage API keys");
  apikey->require_subcommand(1);
  auto* apikey_create = apikey->add_subcommand("create", "Create an API key (prints JSON)");
  std::string role = "viewer", key_name = "";
  apikey_create->add_option("--role", role, "admin, operator or viewer")
      ->required()
      ->check(CLI::IsMember({"admin", "operator", "viewer"}));
  apikey_create->add_option("--name", key_name, "A label for the key");

  auto* apikey_revoke = apikey->add_subcommand("revoke", "Revoke an API key");
  std::string revoke_key;
  apikey_revoke->add_option("KEY", revoke_key, "The key (ak_...)")->required();
  auto* apikey_list = apikey->add_subcommand("list", "List API keys (never their secrets)");

  auto* user = cli.add_subcommand("user", "Manage merchant console staff accounts");
  user->require_subcommand(1);
  auto* user_create = user->add_subcommand(
      "create", "Create a staff account; the password is read from the first line of stdin");
  std::string user_name, user_role = "viewer";
  user_create->add_option("--username", user_name, "Login name (1-64 of A-Z a-z 0-9 . _ -)")
      ->required();
  user_create->add_option("--role", user_role, "admin, operator or viewer")
      ->required()
      ->check(CLI::IsMember({"admin", "operator", "viewer"}));
  auto* user_list = user->add_subcommand("list", "List staff accounts (never their passwords)");

  auto* client = cli.add_subcommand(
      "client", "Send a signed request (COLDTRACK_URL, COLDTRACK_API_KEY, COLDTRACK_API_SECRET)");
  std::string method, target, data;
  client->add_option("METHOD", method, "GET, POST, PUT, DELETE")
      ->required()
      ->check(CLI::IsMember({"GET", "POST", "PUT", "DELETE", "PATCH"}, CLI::ignore_case));
  client->add_option("PATH", target, "Path with optional query, e.g. /api/orders?limit=5")
      ->required();
  client->add_option("-d,--data", data, "Request body (JSON, or @file)");

  auto* sim = cli.add_subcommand(
      "sim", "Run the carrier simulator (Kdniao and Kuaidi100 protocols) for demos and tests");
  ct::sim::SimOptions sim_opts;
  sim->add_option("--host", sim_opts.host, "Listen address");
  sim->add_option("--port", sim_opts.port, "Listen port (0 = any free port)");
  sim->add_option("--time-scale", sim_opts.time_scale, "Simulated seconds per real second")
      ->check(CLI::Range(0.0, 1e6));
  sim->add_option("--seed", sim_opts.seed, "Seed for the scripted routes");
  sim->add_option("--kdniao-ebusiness-id", sim_opts.kdniao_ebusiness_id, "Kdniao merchant ID");
  sim->add_option("--kdniao-api-key", sim_opts.kdniao_api_key, "Kdniao ApiKey");
  sim->add_option("--kdniao-callback-url", sim_opts.kdniao_callback_url, "Where to push");
  sim->add_option("--kuaidi100-customer", sim_opts.kuaidi100_customer, "Kuaidi100 customer");
  sim->add_option("--kuaidi100-key", sim_opts.kuaidi100_key, "Kuaidi100 key");
  sim->add_option("--kuaidi100-salt", sim_opts.kuaidi100_salt, "Kuaidi100 push salt");
  sim->add_option("--cainiao-app-key", sim_opts.cainiao_app_key, "Cainiao logistic_provider_id");
  sim->add_option("--cainiao-secret-key", sim_opts.cainiao_secret_key, "Cainiao secret");
  sim->add_option("--kuaidi100-callback-url", sim_opts.kuaidi100_callback_url,
                  "Override the subscriptions' callbackurl");
  sim->add_option("--wechat-appid", sim_opts.wechat_appid, "WeChat mini-program appid accepted");
  sim->add_option("--wechat-secret", sim_opts.wechat_secret, "WeChat AppSecret accepted");
  sim->add_option("--aliyun-access-key-id", sim_opts.aliyun_access_key_id, "Aliyun SMS key id");
  sim->add_option("--aliyun-access-key-secret", sim_opts.aliyun_access_key_secret,
                  "Aliyun SMS key secret");
  sim->add_option("--tencent-secret-id", sim_opts.tencent_secret_id, "Tencent Cloud SecretId");
  sim->add_option("--tencent-secret-key", sim_opts.tencent_secret_key, "Tencent Cloud SecretKey");
  sim->add_option("--tencent-sms-sdk-app-id", sim_opts.tencent_sms_sdk_app_id,
                  "Tencent SmsSdkAppId accepted");
  sim->add_option("--wechatpay-apiv3-key", sim_opts.wechatpay_apiv3_key,
                  "WeChat Pay APIv3 key (32 characters) for the notify player");
  std::string sim_wechatpay_key_file;
  sim->add_option("--wechatpay-platform-private-key-file", sim_wechatpay_key_file,
                  "PEM file of the RSA platform private key that signs notifications")
      ->check(CLI::ExistingFile);
  sim->add_option("--wechatpay-platform-serial", sim_opts.wechatpay_platform_serial,
                  "Wechatpay-Serial sent with notifications");

  auto* archive = cli.add_subcommand("archive", "Archive finished orders now");
  ct::app::BackupOptions backup_opts, restore_opts;
  auto* backup = cli.add_subcommand(
      "backup",
      "Copy the SQLite database to a file, consistent while the service serves, and verify it");
  backup->add_option("--to", backup_opts.file, "The backup file")->required();
  backup->add_flag("--force", backup_opts.force, "Overwrite an existing file");
  auto* restore = cli.add_subcommand(
      "restore",
      "Verify a backup file and make it the database (store.sqlite.path); stop the service first");
  restore->add_option("--from", restore_opts.file, "The backup file")
      ->required()
      ->check(CLI::ExistingFile);
  restore->add_flag("--force", restore_opts.force, "Replace a database that holds orders");
  auto* backtest = cli.add_subcommand(
      "eta-backtest",
      "Replay delivered shipments in time order and compare the delivery-time model with the "
      "carriers' nominal days");
  auto* migrate = cli.add_subcommand("migrate", "Apply database migrations and exit");
  auto* migrate_data = cli.add_subcommand(
      "migrate-data",
      "Copy a shop's data into an empty database of another backend (SQLite -> MariaDB, or "
      "back) and verify row counts and checksums. Stop the service first (or point it at the new "
      "database): the source must not change during the copy");
  ct::app::MigrateDataOptions migrate_data_opts;
  migrate_data
      ->add_option("--from", migrate_data_opts.from,
                   "Source: sqlite:PATH (or a bare path) or mysql://user:pw@host:port/db")
      ->required();
  migrate_data
      ->add_option("--to", migrate_data_opts.to,
                   "Destination, empty: mysql://user:pw@host:port/db (created if missing) "
                   "or sqlite:PATH")
      ->required();
  migrate_data
      ->add_option("--batch-rows", migrate_data_opts.batch_rows, "Rows per destination transaction")
      ->check(CLI::Range(1, 1'000'000));
  auto* gen = cli.add_subcommand(
      "gen-demo",
      "Generate realistic demo data (orders with history, shipments, tracking) straight into the "
      "configured store, fast, for benchmarks; refuses a database that holds orders");
  ct::app::GenDemoOptions gen_opts;
  gen->add_option("--orders", gen_opts.orders, "How many orders")
      ->required()
      ->check(CLI::Range(1, 100'000'000));
  gen->add_option("--seed", gen_opts.seed, "Seed (order numbers are GD<seed>-<date>-<n>)");
  gen->add_option("--days", gen_opts.days, "Spread the orders over the last D days")
      ->check(CLI::Range(1, 3650));
  gen->add_option("--batch", gen_opts.batch, "Orders per transaction")
      ->check(CLI::Range(1, 10'000'000));
  gen->add_flag("--append", gen_opts.append, "Add to a database that already holds orders");
  gen->add_option("--threads", gen_opts.threads, "Generator threads (0 = one per core)")
      ->check(CLI::Range(0, 64));
  auto* keys = cli.add_subcommand("config-keys", "List every configuration key");

  CLI11_PARSE(cli, argc, argv);
  // Logs go to stderr; stdout carries only command output (JSON, the listening line).
  spdlog::set_default_logger(spdlog::stderr_color_mt("coldtrack"));

  if (keys->parsed()) {
    for (const auto& k : ct::app::config_keys()) std::cout << k << "\n";
    return 0;
  }
  ct::app::Config config;
  try {
    config = ct::app::load_config(
        config_file.empty() ? std::nullopt : std::optional<std::string>(config_file),
        ct::app::process_environment());
  } catch (const ct::app::ConfigError& e) {
    std::cerr << "configuration error: " << e.what() << "\n";
    return 2;
  }
  spdlog::set_level(log_level(config.log.level));
  if (!log_format.empty()) config.log.format = log_format;
  ct::app::apply_log_format(config.log.format);

  try {
    std::transform(method.begin(), method.end(), method.begin(), ::toupper);
    if (serve->parsed()) return ct::app::serve(config, serve_opts);
    if (apikey_create->parsed()) return ct::app::create_api_key(config, role, key_name);
    if (user_create->parsed()) {
      // From stdin, never from the command line (ps and shell history would show it).
      std::string password;
      if (!std::getline(std::cin, password) || password.empty()) {
        std::cerr << "user create: give the password on stdin, e.g. "
                     "`printf '%s\\n' \"$PW\" | coldtrack user create ...`\n";
        return 2;
      }
      if (!password.empty() && password.back() == '\r') password.pop_back();
      return ct::app::create_user(config, user_name, user_role, password);
    }
    if (user_list->parsed()) return ct::app::list_users(config);
    if (apikey_revoke->parsed()) return ct::app::revoke_api_key(config, revoke_key);
    if (apikey_list->parsed()) return ct::app::list_api_keys(config);
    if (client->parsed()) return run_client(config, method, target, data);
    if (archive->parsed()) return ct::app::archive_now(config);
    if (backup->parsed()) return ct::app::backup_database(config, backup_opts);
    if (restore->parsed()) return ct::app::restore_database(config, restore_opts);
    if (backtest->parsed()) return ct::app::eta_backtest(config);
    if (sim->parsed()) {
      // Keys and callbacks default to the service's own configuration, so
      // `coldtrack sim` run with the server's environment matches it.
      const auto& c = config.carriers;
      if (sim_opts.kdniao_ebusiness_id.empty())
        sim_opts.kdniao_ebusiness_id = c.kdniao.ebusiness_id;
      if (sim_opts.kdniao_api_key.empty()) sim_opts.kdniao_api_key = c.kdniao.api_key;
      if (sim_opts.kuaidi100_customer.empty()) sim_opts.kuaidi100_customer = c.kuaidi100.customer;
      if (sim_opts.kuaidi100_key.empty()) sim_opts.kuaidi100_key = c.kuaidi100.key;
      if (sim_opts.kuaidi100_salt.empty()) sim_opts.kuaidi100_salt = c.kuaidi100.salt;
      if (sim_opts.cainiao_app_key.empty()) sim_opts.cainiao_app_key = c.cainiao.app_key;
      if (sim_opts.cainiao_secret_key.empty()) sim_opts.cainiao_secret_key = c.cainiao.secret_key;
      if (sim_opts.kdniao_callback_url.empty() && !c.callback_base_url.empty())
        sim_opts.kdniao_callback_url = c.callback_base_url + "/api/callbacks/kdniao";
      if (!sim_wechatpay_key_file.empty()) {
        std::ifstream in(sim_wechatpay_key_file);
        std::ostringstream pem;
        pem << in.rdbuf();
        sim_opts.wechatpay_platform_private_key_pem = pem.str();
      }
      return ct::sim::run_simulator(sim_opts);
    }
    if (migrate_data->parsed()) return ct::app::migrate_data(config, migrate_data_opts);
    if (gen->parsed()) return ct::app::gen_demo(config, gen_opts);
    if (migrate->parsed()) {
      ct::app::open_store(config)->close();
      std::cout << "migrations applied\n";
      return 0;
    }
  } catch (const ct::app::ConfigError& e) {
    std::cerr << "configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
