#include "common/request_validator.h"

namespace ledger {
namespace {

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool isLowerHex(char c) { return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9'); }

// Control characters are C0 (below 0x20), DEL, and C1 (U+0080..U+009F, encoded C2 80..C2 9F).
bool hasControlCharacter(std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    if (byte < 0x20 || byte == 0x7f) {
      return true;
    }
    if (byte == 0xc2 && i + 1 < value.size()) {
      const auto next = static_cast<unsigned char>(value[i + 1]);
      if (next >= 0x80 && next <= 0x9f) {
        return true;
      }
    }
  }
  return false;
}

// Length in code points of valid UTF-8 text (the JSON parser has checked the encoding).
std::size_t codePointCount(std::string_view value) {
  std::size_t count = 0;
  for (char c : value) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) {
      ++count;
    }
  }
  return count;
}

// algorithm := component (separator component)*; component := [a-z0-9]+; separator := [+._-]
bool isDigestAlgorithm(std::string_view algorithm) {
  bool after_separator = true;
  for (char c : algorithm) {
    if (isLowerAlnum(c)) {
      after_separator = false;
    } else if (c == '+' || c == '.' || c == '_' || c == '-') {
      if (after_separator) {
        return false;
      }
      after_separator = true;
    } else {
      return false;
    }
  }
  return !after_separator;
}

// encoded := [a-zA-Z0-9=_-]+
bool isDigestEncoded(std::string_view encoded) {
  if (encoded.empty()) {
    return false;
  }
  for (char c : encoded) {
    const bool ok = isLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '=' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool isLowerHexOfLength(std::string_view value, std::size_t length) {
  if (value.size() != length) {
    return false;
  }
  for (char c : value) {
    if (!isLowerHex(c)) {
      return false;
    }
  }
  return true;
}

void checkLabel(std::string_view field, const std::string& value,
                std::vector<FieldViolation>& out) {
  if (value.empty()) {
    out.push_back({std::string(field), "is required"});
  } else if (!isDnsLabel(value)) {
    out.push_back({std::string(field),
                   "must be a DNS-1123 label: 1 to 63 characters of a-z, 0-9 and '-', starting "
                   "and ending with a letter or digit"});
  }
}

void checkFreeText(std::string_view field, const std::optional<std::string>& value,
                   std::size_t max_length, std::vector<FieldViolation>& out) {
  if (!value) {
    return;
  }
  if (codePointCount(*value) > max_length) {
    out.push_back(
        {std::string(field), "must be at most " + std::to_string(max_length) + " characters long"});
  } else if (hasControlCharacter(*value)) {
    out.push_back({std::string(field), "must not contain control characters"});
  }
}

}  // namespace

bool isDnsLabel(std::string_view value) {
  if (value.empty() || value.size() > kMaxLabelLength) {
    return false;
  }
  if (!isLowerAlnum(value.front()) || !isLowerAlnum(value.back())) {
    return false;
  }
  for (char c : value) {
    if (!isLowerAlnum(c) && c != '-') {
      return false;
    }
  }
  return true;
}

std::string describeDigestFault(std::string_view digest) {
  if (digest.size() > kMaxDigestLength) {
    return "must be at most " + std::to_string(kMaxDigestLength) + " characters long";
  }
  const auto colon = digest.find(':');
  if (colon == std::string_view::npos) {
    return "must have the form <algorithm>:<encoded>, e.g. sha256:<64 hex digits>";
  }
  const auto algorithm = digest.substr(0, colon);
  const auto encoded = digest.substr(colon + 1);
  if (!isDigestAlgorithm(algorithm)) {
    return "has an invalid algorithm; it must be lowercase letters and digits, optionally "
           "joined by '+', '.', '_' or '-'";
  }
  if (algorithm == "sha256" && !isLowerHexOfLength(encoded, 64)) {
    return "sha256 digests need exactly 64 lowercase hexadecimal digits";
  }
  if (algorithm == "sha512" && !isLowerHexOfLength(encoded, 128)) {
    return "sha512 digests need exactly 128 lowercase hexadecimal digits";
  }
  if (!isDigestEncoded(encoded)) {
    return "has an invalid encoded part; it must be letters, digits, '=', '_' or '-'";
  }
  return {};
}

std::vector<FieldViolation> validateRequest(const DeploymentRequest& request) {
  std::vector<FieldViolation> out;
  checkLabel("environment_name", request.environment_name, out);
  if (request.artifact_digest.empty()) {
    out.push_back({"artifact_digest", "is required"});
  } else if (auto fault = describeDigestFault(request.artifact_digest); !fault.empty()) {
    out.push_back({"artifact_digest", std::move(fault)});
  }
  checkFreeText("artifact_name", request.artifact_name, kMaxArtifactNameLength, out);
  checkFreeText("artifact_version", request.artifact_version, kMaxArtifactVersionLength, out);
  if (request.status == DeploymentStatus::kSuperseded) {
    out.push_back({"status", "SUPERSEDED is set by the service only and cannot be requested"});
  }
  checkLabel("deployment_name", request.deployment_name, out);
  checkLabel("logical_environment_name", request.logical_environment_name, out);
  return out;
}

}  // namespace ledger
