// Backtest: replays delivered history in time order and scores the model against the carriers'
// nominal service levels, so a change to the model is judged on the same data as its baseline.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "eta/eta.h"

namespace coldtrack::eta {

struct BacktestResult {
  std::size_t shipments = 0;  // delivered shipments replayed
  // The model, predicting at shipped_at.
  double mae_hours = 0, coverage = 0, mean_width_hours = 0;
  // The nominal service level (nominal_eta).
  double baseline_mae_hours = 0, baseline_coverage = 0, baseline_width_hours = 0;
  std::map<std::string, std::size_t> by_basis;  // how many predictions used each basis
  // The model re-predicting at out_for_delivery_at, when known.
  double ofd_mae_hours = 0;
  std::size_t ofd_predictions = 0;
};

// Replays in time order without peeking: each shipment is predicted at its shipped_at (and,
// when known, again at its out_for_delivery_at) by a model that has learned only the shipments
// whose delivered_at is <= that moment. Input in any order. Errors are |most_likely -
// delivered_at|; coverage counts earliest <= delivered_at <= latest.
BacktestResult backtest(std::vector<Delivered> history, const Options& options);

// A small English table: metric | model | baseline | ratio, plus basis counts.
std::string format_backtest(const BacktestResult& r);

}  // namespace coldtrack::eta
