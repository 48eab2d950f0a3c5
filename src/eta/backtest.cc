#include "eta/backtest.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <tuple>

namespace coldtrack::eta {
namespace {

constexpr double kHourMs = 3'600'000.0;

struct Score {
  double abs_error = 0, covered = 0, width = 0;
  std::size_t n = 0;

  void add(const Eta& e, EpochMs actual) {
    abs_error += std::abs(static_cast<double>(e.most_likely - actual)) / kHourMs;
    covered += (e.earliest <= actual && actual <= e.latest) ? 1 : 0;
    width += static_cast<double>(e.latest - e.earliest) / kHourMs;
    ++n;
  }
  double mae() const { return n ? abs_error / static_cast<double>(n) : 0; }
  double coverage() const { return n ? covered / static_cast<double>(n) : 0; }
  double mean_width() const { return n ? width / static_cast<double>(n) : 0; }
};

}  // namespace

BacktestResult backtest(std::vector<Delivered> history, const Options& options) {
  std::erase_if(history, [](const Delivered& d) { return d.delivered_at < d.shipped_at; });

  // Prediction moments: at hand-over, and again when the parcel went out for delivery.
  struct Moment {
    EpochMs at;
    std::size_t index;
    bool out_for_delivery;
  };
  std::vector<Moment> moments;
  moments.reserve(history.size() * 2);
  for (std::size_t i = 0; i < history.size(); ++i) {
    moments.push_back({history[i].shipped_at, i, false});
    const auto& ofd = history[i].out_for_delivery_at;
    if (ofd && *ofd >= history[i].shipped_at && *ofd <= history[i].delivered_at) {
      moments.push_back({*ofd, i, true});
    }
  }
  std::sort(moments.begin(), moments.end(), [](const Moment& a, const Moment& b) {
    return std::tie(a.at, a.index, a.out_for_delivery) <
           std::tie(b.at, b.index, b.out_for_delivery);
  });
  std::vector<std::size_t> learn_order(history.size());
  for (std::size_t i = 0; i < learn_order.size(); ++i) learn_order[i] = i;
  std::stable_sort(learn_order.begin(), learn_order.end(), [&](std::size_t a, std::size_t b) {
    return history[a].delivered_at < history[b].delivered_at;
  });

  Model model(options);
  BacktestResult r;
  Score model_score, baseline_score, ofd_score;
  std::size_t learned = 0;
  for (const Moment& m : moments) {
    while (learned < learn_order.size() && history[learn_order[learned]].delivered_at <= m.at) {
      model.add(history[learn_order[learned++]]);
    }
    const Delivered& d = history[m.index];
    Progress p{d.lane, d.shipped_at, "", std::nullopt};
    if (m.out_for_delivery) {
      p.tracking_status = "OUT_FOR_DELIVERY";
      p.status_at = m.at;
    }
    const std::optional<Eta> e = model.predict(p, m.at);
    if (!e) continue;
    if (m.out_for_delivery) {
      ofd_score.add(*e, d.delivered_at);
      continue;
    }
    model_score.add(*e, d.delivered_at);
    baseline_score.add(nominal_eta(d.lane, d.shipped_at, options), d.delivered_at);
    ++r.by_basis[e->basis];
  }

  r.shipments = model_score.n;
  r.mae_hours = model_score.mae();
  r.coverage = model_score.coverage();
  r.mean_width_hours = model_score.mean_width();
  r.baseline_mae_hours = baseline_score.mae();
  r.baseline_coverage = baseline_score.coverage();
  r.baseline_width_hours = baseline_score.mean_width();
  r.ofd_mae_hours = ofd_score.mae();
  r.ofd_predictions = ofd_score.n;
  return r;
}

std::string format_backtest(const BacktestResult& r) {
  char buf[256];
  std::string out;
  auto row = [&](const char* metric, double model, double baseline, int decimals) {
    char m[32], b[32], ratio[32] = "-";
    std::snprintf(m, sizeof m, "%.*f", decimals, model);
    std::snprintf(b, sizeof b, "%.*f", decimals, baseline);
    if (baseline != 0) std::snprintf(ratio, sizeof ratio, "%.2f", model / baseline);
    std::snprintf(buf, sizeof buf, "%-20s | %8s | %8s | %5s\n", metric, m, b, ratio);
    out += buf;
  };
  std::snprintf(buf, sizeof buf, "%-20s | %8s | %8s | %5s\n", "metric", "model", "baseline",
                "ratio");
  out += buf;
  out += "---------------------+----------+----------+------\n";
  row("MAE (hours)", r.mae_hours, r.baseline_mae_hours, 1);
  row("coverage", r.coverage, r.baseline_coverage, 3);
  row("mean width (hours)", r.mean_width_hours, r.baseline_width_hours, 1);
  std::snprintf(buf, sizeof buf, "shipments: %zu; basis:", r.shipments);
  out += buf;
  for (const auto& [basis, n] : r.by_basis) {
    std::snprintf(buf, sizeof buf, " %s %zu", basis.c_str(), n);
    out += buf;
  }
  out += "\n";
  if (r.ofd_predictions > 0) {
    std::snprintf(buf, sizeof buf, "after out-for-delivery: MAE %.2f hours over %zu predictions\n",
                  r.ofd_mae_hours, r.ofd_predictions);
    out += buf;
  }
  return out;
}

}  // namespace coldtrack::eta
