// The read side's query parameters (GET /v1/deployments), decoded and checked apart from any
// transport, and the list response's JSON. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/deployment.h"
#include "common/request_validator.h"

namespace ledger {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
// Bounds the row offset (page * page_size) far below overflow.
inline constexpr std::int64_t kMaxPage = 1'000'000'000;

struct ListQuery {
  std::optional<std::string> environment_name;
  std::optional<std::string> logical_environment_name;
  std::optional<std::string> deployment_name;
  std::optional<std::string> artifact_digest;
  std::optional<DeploymentStatus> status;  // DEPLOYMENT_STATUS_UNSPECIFIED means no filter
  std::optional<ArtifactKind> kind;
  std::int64_t page = 0;
  int page_size = kDefaultPageSize;  // already capped at kMaxPageSize
};

struct ListQueryDecodeResult {
  ListQuery query;
  std::vector<FieldViolation> violations;  // each parameter at fault, by name

  bool ok() const { return violations.empty(); }
};

// Decodes a URL query string ("a=b&c=d", percent-encoded, '+' as space). Accepts the filters
// environment_name, logical_environment_name, deployment_name, status, kind and artifact_digest,
// and pagination.page (zero-based) and pagination.page_size (0 or absent: the default; above
// the maximum: the maximum). Unknown, repeated or invalid parameters are violations.
ListQueryDecodeResult decodeListQuery(std::string_view query_string);

// True for a record id: a UUID in its canonical lowercase text form.
bool isRecordId(std::string_view text);

struct ListPage {
  std::vector<DeploymentRecord> records;
  std::int64_t total_count = 0;
};

// {"deployment_records": [...], "pagination": {"total_count", "page", "total_pages",
// "page_size"}}; counts are JSON numbers.
std::string encodeListResponse(const ListPage& page, const ListQuery& query);

}  // namespace ledger
