// `coldtrack gen-demo --orders N`: bulk synthetic data for benchmarks. Streams millions of
// orders (with their status history, shipments, carrier tracking snapshots with traces, tracking
// events and polling state) straight into the configured store in big transactions, with memory
// flat in N. The data has the demo's shape (app/demo_catalogue.h products, places, carriers;
// app/demo_transit.h delivery times; personal data sealed with the data key exactly as real
// orders), spread over the last --days so date-range queries are meaningful, and is
// deterministic for a seed (given N, --days and the end time): generation runs in fixed chunks
// of orders, each from its own random stream, on as many threads as there are cores.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include "app/config.h"
#include "service/pii.h"
#include "store/sql/conn.h"

namespace coldtrack::app {

struct GenDemoOptions {
  std::int64_t orders = 0;
  std::uint64_t seed = 1;
  int days = 180;           // created_at spread over the last `days` days
  int batch = 50'000;       // orders per transaction (rounded up to whole chunks of 1,024)
  bool append = false;      // allow a database that already holds orders
  int threads = 0;          // generator threads; 0 = one per core
  std::int64_t now_ms = 0;  // where the data ends; 0 = the wall clock
  // Set (e.g. by a signal handler) to stop after the current chunk: what is generated so far
  // is committed and the load finishes normally, with GenDemoStats::interrupted.
  const std::atomic<bool>* cancel = nullptr;
};

// What was written.
struct GenDemoStats {
  std::int64_t orders = 0;
  std::int64_t order_events = 0;
  std::int64_t shipments = 0;
  std::int64_t polling = 0;          // shipment_polling rows (one per shipment)
  std::int64_t tracking = 0;         // shipment_tracking snapshots
  std::int64_t tracking_events = 0;  // tracking_events rows
  std::int64_t traces = 0;           // traces inside the snapshots
  double seconds = 0;
  bool interrupted = false;  // stopped early through GenDemoOptions::cancel
};

// The database holds orders and --append was not given, or it holds this seed's orders already.
struct GenDemoRefused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using GenDemoProgress = std::function<void(const GenDemoStats& so_far)>;

// Writes the orders into `db`, which must be migrated to the latest schema, in transactions of
// options.batch orders; `progress` is called after each commit. Ids continue after the highest
// id ever used (live and archive tables). Works on SQLite and MariaDB connections; tuning the
// connection for a bulk load is the caller's business (see load_demo_data). Throws
// GenDemoRefused before writing anything.
GenDemoStats generate_demo_data(store::sql::Conn& db, const service::PiiCodec& pii,
                                const GenDemoOptions& options,
                                const GenDemoProgress& progress = {});

// Migrates the store `config` names, then loads it through a connection tuned for a bulk load
// (SQLite: synchronous=OFF and a large page cache during the load, then ANALYZE and a WAL
// checkpoint, so the file is an ordinary, complete database afterwards).
GenDemoStats load_demo_data(const Config& config, const service::PiiCodec& pii,
                            const GenDemoOptions& options, const GenDemoProgress& progress = {});

// The CLI: resolves the data key (creating the key file beside the SQLite database when none is
// configured, as `serve --demo` does), loads, prints progress and a summary on stderr and the
// figures as one JSON object on stdout. Returns the exit code (1 when refused or failed).
int gen_demo(const Config& config, const GenDemoOptions& options);

}  // namespace coldtrack::app
