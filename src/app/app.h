// The composition root: the only place that picks implementations and wires them together.
#pragma once

#include <memory>
#include <string>

#include "app/config.h"
#include "service/pii.h"
#include "store/store.h"

namespace coldtrack::app {

// Reads the data key: security.data_key, else the key file beside the SQLite database
// (written by `serve --demo`). With `create_if_missing`, generates and saves one.
// Throws ConfigError when there is none.
std::string resolve_data_key(const Config& config, bool create_if_missing, bool* created = nullptr);

std::unique_ptr<store::Store> open_store(const Config& config);

// Current wall-clock time in epoch milliseconds.
std::int64_t now_ms();

struct ServeOptions {
  bool demo = false;       // seed demo data and print an admin key
  int demo_orders = 5000;  // how many demo orders to seed into an empty database
};

// Runs the server until SIGTERM/SIGINT. Returns the process exit code.
int serve(const Config& config, const ServeOptions& options);

// Creates an API key and prints {"key","secret","role"}.
int create_api_key(const Config& config, const std::string& role, const std::string& name);

// Revokes an API key (effective on running servers within 10 seconds: their key cache expires).
int revoke_api_key(const Config& config, const std::string& key);
// Lists API keys as JSON lines, without secrets.
int list_api_keys(const Config& config);
// Staff accounts of the merchant console (the password never appears in output or logs).
int create_user(const Config& config, const std::string& username, const std::string& role,
                const std::string& password);
int list_users(const Config& config);

// Archives finished orders now; prints how many moved.
int archive_now(const Config& config);

// Replays the store's delivered shipments in time order through the delivery-time model and
// prints its error and interval coverage beside the carriers' nominal days.
int eta_backtest(const Config& config);

}  // namespace coldtrack::app
