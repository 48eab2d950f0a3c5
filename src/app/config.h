// Configuration: defaults, then an optional YAML file, then COLDTRACK_<PATH> environment
// variables (e.g. COLDTRACK_SERVER_PORT overrides server.port). Unknown keys and invalid values
// throw ConfigError naming the key, so start-up stops with a clear message.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace coldtrack::app {

struct ConfigError : std::runtime_error {
  ConfigError(std::string key, const std::string& message)
      : std::runtime_error(key.empty() ? message : key + ": " + message), key(std::move(key)) {}
  std::string key;  // dotted path, e.g. "server.port"; empty for file-level errors
};

struct Config {
  struct Server {
    std::string host = "0.0.0.0";
    int port = 8080;             // 0 = pick a free port (tests)
    int io_threads = 1;          // 1..64
    int worker_threads = 8;      // blocking-work pool (store calls), 1..256
    int read_threads = 0;        // order reads and lists; 0: the CPUs we may use (at least 2)
    std::string metrics_listen;  // "" = serve /metrics on the main listener; else "host:port"
    int metrics_gauges_s = 15;   // how often store levels (outbox, anomalies) are counted, 1..3600
    std::size_t max_body_bytes = 1 << 20;  // larger bodies get 413; 1 KiB..64 MiB
    int header_timeout_s = 10;             // time to receive a full request head, 1..3600
    int idle_timeout_s = 60;               // keep-alive idle time, 1..3600
    int shutdown_grace_s = 20;             // SIGTERM: max wait for in-flight requests, 0..600
  } server;
  struct Store {
    std::string backend = "sqlite";  // sqlite (embedded) | mysql (MariaDB/MySQL server)
    struct Sqlite {
      std::string path = "./data/coldtrack.db";
      std::string synchronous = "full";  // "full" | "normal" (both survive kill -9 in WAL)
      int busy_timeout_ms = 5000;        // 0..600000
      int mmap_mb = 0;  // read through a memory map of this size, 0..2048 (0: off, the default)
    } sqlite;
    struct Mysql {
      // mysql://user:password@host[:port]/database[?socket=/path]; a secret (may hold the password)
      std::string url = "mysql://coldtrack@127.0.0.1:3306/coldtrack";
      int pool_size = 8;              // connections, 1..256
      int connect_timeout_ms = 3000;  // 100..60000
      int rw_timeout_ms = 30000;      // one network read or write, 1000..600000
    } mysql;
  } store;
  struct Security {
    std::string data_key;          // 64 hex chars = 32-byte AES-256 key; required for serve
    int signature_window_s = 300;  // 1..3600
  } security;
  struct Archive {
    bool enabled = true;
    int after_days = 180;   // 1..36500
    int interval_s = 3600;  // 10..604800
    int batch_size = 500;   // 1..100000
  } archive;
  struct Track {
    int rate_limit_per_minute = 30;  // public /api/track per client address, 1..100000
  } track;
  struct Log {
    std::string level = "info";   // trace|debug|info|warn|error|off
    std::string format = "text";  // text | json (one object a line, for log collectors)
  } log;
  // Carrier tracking providers. Credentials come from the environment in production
  // (COLDTRACK_CARRIERS_KDNIAO_API_KEY, ...); base URLs point at the simulator in demos.
  struct Carriers {
    struct Kdniao {
      std::string ebusiness_id;
      std::string api_key;  // secret
      std::string query_url = "https://api.kdniao.com/Ebusiness/EbusinessOrderHandle.aspx";
      std::string subscribe_url = "https://api.kdniao.com/api/dist";
      std::string query_request_type = "8002";      // 1002 | 8001 | 8002
      std::string subscribe_request_type = "8008";  // 1008 | 8008
    } kdniao;
    struct Kuaidi100 {
      std::string customer;
      std::string key;   // secret
      std::string salt;  // secret; signs pushes to us
      std::string query_url = "https://poll.kuaidi100.com/poll/query.do";
      std::string subscribe_url = "https://poll.kuaidi100.com/poll";
    } kuaidi100;
    // Cainiao LINK: query only (its push API is unconfirmed); msg_type and field mapping are
    // the placeholder in carriers/cainiao/cainiao.h until confirmed.
    struct Cainiao {
      std::string gateway_url = "https://link.cainiao.com/gateway/link.do";
      std::string app_key;     // logistic_provider_id
      std::string secret_key;  // secret
    } cainiao;
    std::string callback_base_url;  // how providers reach us, e.g. https://shop.example.com
  } carriers;
  // The tracking worker: push subscriptions and fallback polling.
  struct Tracking {
    bool enabled = true;
    int tick_ms = 5000;                           // how often the worker looks for work, 50..600000
    std::string provider = "kdniao";              // kdniao | kuaidi100
    std::string fallback_provider = "kuaidi100";  // none | kdniao | kuaidi100
    int rate_limit_per_minute = 600;              // carrier calls per provider, 1..1000000
    int breaker_threshold = 5;                    // consecutive failures that open the breaker
    int breaker_open_s = 60;                      // how long it stays open before one trial
    int freshness_s = 1800;                       // never query one waybill twice within this
    int quiet_in_transit_s = 21600;               // poll a subscribed waybill after this silence
    int quiet_near_delivery_s = 7200;             // ... when out for delivery / at a pickup point
    int unsubscribed_s = 7200;                    // poll cadence without a push subscription
    int no_info_s = 14400;                        // while the carrier knows nothing yet
    int exception_retry_s = 3600;                 // re-check problem states
  } tracking;
  // Delivery-time prediction: lane statistics from our own delivered shipments, falling back to
  // the carriers' nominal days.
  struct Eta {
    std::string origin_city = "上海市";  // where parcels leave from unless a shipment says
    std::string service_levels;          // overrides of nominal days, "SF=1-2,ZTO=2-4"
    int min_lane_samples = 20;           // fewer: fall back to a wider basis
    int cutoff_hour = 17;                // local hour after which a hand-over leaves next day
    int refresh_s = 3600;                // how often the model relearns
    int history_days = 90;               // ... from deliveries of the last N days, 1..3650
  } eta;
  struct Anomalies {
    bool enabled = true;         // the background sweeper (snapshot checks always run)
    int sweep_interval_s = 300;  // 1..86400
    std::string overrides;       // per category / carrier limits, see anomaly/rules.h
  } anomalies;
  struct ColdChain {
    int max_future_s = 600;                    // logger clock skew tolerated ahead of ours
    double mkt_activation_energy_kj = 83.144;  // ΔH for the mean kinetic temperature, kJ/mol
  } cold_chain;
  // WeChat: the mini-program and WeChat Pay (payment notifications). Secrets come from the
  // environment (COLDTRACK_WECHATPAY_APIV3_KEY).
  struct Wechat {
    std::string appid;   // wx..., the mini-program
    std::string secret;  // AppSecret (secret); enables customer login
    std::string api_base_url = "https://api.weixin.qq.com";
    int session_ttl_s = 604800;  // customer session lifetime, 60..31536000
  } wechat;
  struct WechatPay {
    std::string mchid;
    std::string apiv3_key;                 // secret: 32 characters
    std::string platform_serial;           // Wechatpay-Serial of the platform key below
    std::string platform_public_key_file;  // PEM ("BEGIN PUBLIC KEY") of WeChat Pay's key
  } wechatpay;
  // Notifications: who hears about what, on which channel (docs/NOTIFICATIONS.md).
  struct Notify {
    bool enabled = true;
    int tick_ms = 2000;           // how often the worker looks for work, 50..600000
    int lease_s = 60;             // a claimed send not finished by then is uncertain, 5..3600
    int send_timeout_ms = 10000;  // per provider call, 100..60000
    int max_attempts = 8;         // retries before the dead letter, 1..100
    int backoff_base_s = 30;      // first retry delay, doubling up to an hour, 1..3600
    std::string rules;            // "" = the default rules (notify/policy.h)
    int quiet_start_hour = 22;    // local; customer messages wait until quiet_end_hour
    int quiet_end_hour = 8;
    int max_per_recipient_per_hour = 3;  // 0 = no limit
    int digest_window_s = 300;           // changes this close together become one message
    int reminder_lead_min = 120;    // 预计送达前提醒: this long before the predicted time
    int max_event_age_h = 24;       // older changes (imported history, backlog) are not announced
    std::string staff_webhook_url;  // secret (carries the robot key); "" = no staff alerts
    struct Wechat {
      std::string template_id;  // "" = no WeChat messages
      std::string template_fields =
          "character_string1=order_no,phrase2=status,thing3=text,time4=time";
      std::string page = "pages/order/detail?order_no={order_no}";
      std::string state = "formal";  // formal | trial | developer
      bool upload_shipping = true;   // upload WeChat-paid orders' waybills (发货信息管理)
    } wechat;
    struct Sms {
      std::string provider = "none";  // none | aliyun | tencent
      struct Aliyun {
        std::string endpoint = "https://dysmsapi.aliyuncs.com/";
        std::string access_key_id;
        std::string access_key_secret;  // secret
        std::string sign_name;
        std::string template_code;
      } aliyun;
      struct Tencent {
        std::string endpoint = "https://sms.tencentcloudapi.com/";
        std::string secret_id;
        std::string secret_key;  // secret
        std::string region = "ap-guangzhou";
        std::string sms_sdk_app_id;
        std::string sign_name;
        std::string template_id;
      } tencent;
    } sms;
  } notify;
  // Caches shared between replicas: replay nonces and rate limits (docs/BACKENDS.md).
  struct Cache {
    std::string backend = "memory";  // memory | redis
    struct Redis {
      std::string url = "redis://127.0.0.1:6379/0";  // redis://[:password@]host[:port][/db]
      std::string key_prefix = "coldtrack:";
      int timeout_ms = 250;  // connect and per command, 10..60000
    } redis;
    // Hot order and tracking views in Redis (backend redis only; docs/BACKENDS.md).
    struct Views {
      bool enabled = true;
      int ttl_s = 300;  // 1..86400
    } views;
    // Hot masked order responses kept in this process (src/cache/response_cache.h): exact for
    // this process's writes and, on SQLite, other coldtrack processes' (they are seen joining);
    // the ETA's clock (and, on MariaDB, other replicas' writes) within max_age_ms. -1: 30000
    // with store.backend sqlite, 0 (off) with mysql, where replicas share a server; 0: off.
    struct Responses {
      int max_age_ms = -1;  // -1..60000
      int max_mb = 64;      // 1..4096
      int effective_max_age_ms(const std::string& store_backend) const {
        if (max_age_ms >= 0) return max_age_ms;
        return store_backend == "sqlite" ? 30000 : 0;
      }
    } responses;
  } cache;
  // The outbox relay to a message broker for other services (docs/BACKENDS.md).
  struct Queue {
    std::string backend = "memory";  // memory (no relay) | rabbitmq
    struct RabbitMq {
      // amqp://user:password@host[:port][/vhost]
      std::string url = "amqp://guest:guest@127.0.0.1:5672/";
      std::string exchange = "coldtrack.events";
    } rabbitmq;
    int relay_interval_ms = 1000;  // 50..600000
    // Our own consumers (backend rabbitmq only): notifications and shipment subscriptions are fed
    // from broker queues, acked after the work is committed (docs/BACKENDS.md).
    struct Consumers {
      bool enabled = true;
      int prefetch = 50;  // unacked deliveries per consumer, 1..1000
    } consumers;
    // With consumers, the outbox workers only catch up on rows older than this (the broker lost
    // them, or they waited out an outage), 0..86400.
    int consumer_grace_s = 120;
  } queue;
  struct Display {
    std::string time_zone = "Asia/Shanghai";  // "Asia/Shanghai", "UTC" or a fixed "+HH:MM"/"-HH:MM"
    int utc_offset_minutes = 480;             // derived from time_zone, not a key
  } display;
  struct Staff {
    int session_ttl_h = 12;          // console sessions, 1..720
    int max_failed_logins = 5;       // in a row, then the account is locked; 1..100
    int lockout_min = 15;            // 1..1440
    int login_rate_per_minute = 20;  // login attempts per client address and replica, 1..10000
  } staff;
  struct Web {
    // The built customer H5 page served under /m/ ("" = not served); relative to the working
    // directory.
    std::string h5_dir = "web/miniprogram/dist/build/h5";
    // The built merchant console served under /console/ ("" = not served).
    std::string console_dir = "web/console/dist";
  } web;
};

// Loads configuration. `file` may be empty (no file). `env` is the process environment as
// name -> value (only COLDTRACK_* names are looked at; COLDTRACK_API_KEY, COLDTRACK_API_SECRET
// and COLDTRACK_URL belong to `coldtrack client` and are ignored here). An unknown
// COLDTRACK_* variable is an error naming it.
Config load_config(const std::optional<std::string>& file,
                   const std::map<std::string, std::string>& env);

// The current process environment as a map (for load_config).
std::map<std::string, std::string> process_environment();

// Every known key as a dotted path, in a stable order (for docs and `coldtrack config keys`).
std::vector<std::string> config_keys();

// "thing3=text,time4=time" -> {("thing3","text"),("time4","time")}; the string is the error.
std::variant<std::vector<std::pair<std::string, std::string>>, std::string> parse_template_fields(
    const std::string& text);

// Converts a time-zone setting to a UTC offset in minutes; nullopt if unsupported.
std::optional<int> parse_time_zone(const std::string& tz);

}  // namespace coldtrack::app
