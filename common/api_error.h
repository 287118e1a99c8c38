// The one error vocabulary at the API's edge, and the one mapping from it to HTTP status and gRPC
// status code used in error bodies.
#pragma once

#include <string>
#include <vector>

namespace ledger {

enum class ErrorKind {
  kInvalidArgument,  // the request is at fault; retrying it unchanged cannot help
  kUnauthenticated,
  kPermissionDenied,
  kNotFound,
  kMethodNotAllowed,
  kPayloadTooLarge,
  kUnavailable,       // a dependency cannot be reached right now; a retry may help
  kDeadlineExceeded,  // no outcome in time; the command may still apply, and a retry is safe
  kInternal,
};

struct ApiError {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;
  std::vector<std::string> details;
};

struct ErrorMapping {
  int http_status;
  int rpc_code;
};

ErrorMapping mapError(ErrorKind kind);

// The full JSON error body for an error, in the contract's shape.
std::string encodeError(const ApiError& error);

}  // namespace ledger
