// Status and Result<T>: how errors cross module boundaries in shepgw.
//
// A Status is either OK or carries an ErrorCode (a stable, documented code, see
// error_codes.h and docs/errors.md) plus a human-readable detail message. The code decides
// the SOAP fault, the HTTP status and the metric label; the message is for logs and the
// fault's errorMessage and must never contain secrets or message bodies.
//
// Result<T> holds either a T or a non-OK Status. Both are plain values, cheap to move,
// and safe to use from any thread (no shared state).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

#include "shepgw/common/error_codes.h"

namespace shepgw {

class Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Stable token of the code, e.g. "envelope.malformed_xml".
  std::string_view token() const { return Describe(code_).token; }
  // "token: message", for logs.
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok() && "Result<T> built from an OK Status without a value");
  }
  Result(ErrorCode code, std::string message) : status_(code, std::move(message)) {}

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace shepgw
