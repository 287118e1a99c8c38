// JSON in and out of the API: decoding a record-deployment request with every fault named, and
// encoding records and error bodies in the contract's shapes. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/deployment.h"
#include "common/request_validator.h"

namespace ledger {

struct RequestDecodeResult {
  DeploymentRequest request;  // meaningful only when ok()
  // Set when the body as a whole is unusable (not JSON, not an object); then no field was read.
  std::string body_error;
  // Each field at fault: wrong type, unknown name, or a value the rules reject.
  std::vector<FieldViolation> violations;

  bool ok() const { return body_error.empty() && violations.empty(); }
};

// Decodes and validates a request body. Field names are accepted in snake_case and in the
// lowerCamelCase that proto3 JSON also allows; enums only by name. Unknown fields, null values,
// duplicate fields and non-string values are violations. Never throws on bad input.
RequestDecodeResult decodeDeploymentRequest(std::string_view body);

// The request as canonical snake_case JSON (the value of a Kafka command).
std::string encodeDeploymentRequest(const DeploymentRequest& request);

// The record as a JSON object with every field present.
std::string encodeRecord(const DeploymentRecord& record);

// {"deployment_record": {...}} with every field of the record present.
std::string encodeRecordResponse(const DeploymentRecord& record);

// The contract's error body: {"code": N, "message": "...", "details": [...]}.
std::string encodeErrorBody(int rpc_code, std::string_view message,
                            const std::vector<std::string>& details = {});

}  // namespace ledger
