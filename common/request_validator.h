// The rules a request must satisfy before anything about it reaches Kafka or the database. Pure
// functions: no I/O, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/deployment.h"

namespace ledger {

// One field at fault and why, e.g. {"environment_name", "must be a DNS-1123 label ..."}.
struct FieldViolation {
  std::string field;
  std::string description;

  std::string toString() const { return field + ": " + description; }
  bool operator==(const FieldViolation&) const = default;
};

inline constexpr std::size_t kMaxLabelLength = 63;
inline constexpr std::size_t kMaxDigestLength = 255;
inline constexpr std::size_t kMaxArtifactNameLength = 256;
inline constexpr std::size_t kMaxArtifactVersionLength = 128;

// True for a DNS-1123 label: 1 to 63 of [a-z0-9-], starting and ending with [a-z0-9].
bool isDnsLabel(std::string_view value);

// Checks a digest against the OCI digest grammar (algorithm ":" encoded). The registered
// algorithms are held to their exact form: sha256 is 64 and sha512 128 lowercase hex digits.
// Returns an empty string when valid, else why not.
std::string describeDigestFault(std::string_view digest);

// Every violation in the request, in field order; empty when the request is valid.
std::vector<FieldViolation> validateRequest(const DeploymentRequest& request);

}  // namespace ledger
