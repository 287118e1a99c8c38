#include "common/api_error.h"

#include "common/json_codec.h"

namespace ledger {

ErrorMapping mapError(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return {400, 3};
    case ErrorKind::kUnauthenticated:
      return {401, 16};
    case ErrorKind::kPermissionDenied:
      return {403, 7};
    case ErrorKind::kNotFound:
      return {404, 5};
    case ErrorKind::kMethodNotAllowed:
      return {405, 12};
    case ErrorKind::kPayloadTooLarge:
      return {413, 8};
    case ErrorKind::kUnavailable:
      return {503, 14};
    case ErrorKind::kDeadlineExceeded:
      return {504, 4};
    case ErrorKind::kInternal:
      return {500, 13};
  }
  return {500, 13};
}

std::string encodeError(const ApiError& error) {
  return encodeErrorBody(mapError(error.kind).rpc_code, error.message, error.details);
}

}  // namespace ledger
