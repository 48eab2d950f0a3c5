// A value or a client-facing error: what every service call returns.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "domain/status.h"

namespace coldtrack::service {

enum class ErrorCode { kInvalidArgument, kNotFound, kConflict, kPermissionDenied, kUnavailable };

struct Error {
  ErrorCode code;
  std::string message;
  std::string field;                                  // for kInvalidArgument
  std::optional<domain::OrderStatus> current_status;  // for kConflict on orders
};

template <class T>
class Result {
 public:
  // Only for containers that need a default (co_spawn's result slot); always overwritten.
  Result() : v_(Error{ErrorCode::kUnavailable, "no result", {}, std::nullopt}) {}
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

inline Error invalid(std::string field, std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message), std::move(field), std::nullopt};
}
inline Error not_found(std::string message) {
  return Error{ErrorCode::kNotFound, std::move(message), {}, std::nullopt};
}

}  // namespace coldtrack::service
