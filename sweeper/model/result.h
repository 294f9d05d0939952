// Result<T>: a value or an Error, shaped like std::expected. Errors cross every
// seam (parser, storage, sampler, backend, tracker) as values; only the CLI turns
// them into messages and exit codes. Not thread-safe beyond what T is.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace gdsweep {

// What went wrong, in words for a user, and which kind of failure it is (the
// CLI maps the kind to an exit code).
struct Error {
  enum class Kind {
    kInvalidInput,  // bad study file, bad flag, bad value: the user must fix it
    kConflict,      // stored study disagrees with the request (changed space, ...)
    kNotFound,      // study, trial or resource does not exist
    kIo,            // database, file system, network, child process
    // A remote service refused or failed for good: credentials the Kubernetes
    // API refuses, a missing namespace, an API that stayed unreachable past
    // its patience, an error answer of the MLflow server.
    kRemote,
    kInterrupted,  // stopped by a signal
    kInternal,     // a bug
  };
  Kind kind = Kind::kInternal;
  std::string message;

  static Error Invalid(std::string m) { return {Kind::kInvalidInput, std::move(m)}; }
  static Error Conflict(std::string m) { return {Kind::kConflict, std::move(m)}; }
  static Error NotFound(std::string m) { return {Kind::kNotFound, std::move(m)}; }
  static Error Io(std::string m) { return {Kind::kIo, std::move(m)}; }
  static Error Remote(std::string m) { return {Kind::kRemote, std::move(m)}; }
  static Error Internal(std::string m) { return {Kind::kInternal, std::move(m)}; }

  // Returns a copy whose message is prefixed with `context: `.
  Error Wrap(const std::string& context) const { return {kind, context + ": " + message}; }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit like expected
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(!ok());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace gdsweep
