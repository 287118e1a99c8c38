#include "common/json_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "common/timestamp.h"

namespace ledger {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

enum class Field {
  kEnvironmentName,
  kArtifactDigest,
  kKind,
  kArtifactName,
  kArtifactVersion,
  kStatus,
  kDeploymentName,
  kLogicalEnvironmentName,
};

struct FieldName {
  Field field;
  std::string_view snake;
  std::string_view camel;
};

constexpr std::array<FieldName, 8> kFieldNames{{
    {Field::kEnvironmentName, "environment_name", "environmentName"},
    {Field::kArtifactDigest, "artifact_digest", "artifactDigest"},
    {Field::kKind, "kind", "kind"},
    {Field::kArtifactName, "artifact_name", "artifactName"},
    {Field::kArtifactVersion, "artifact_version", "artifactVersion"},
    {Field::kStatus, "status", "status"},
    {Field::kDeploymentName, "deployment_name", "deploymentName"},
    {Field::kLogicalEnvironmentName, "logical_environment_name", "logicalEnvironmentName"},
}};

const FieldName* findField(std::string_view name) {
  for (const auto& entry : kFieldNames) {
    if (entry.snake == name || entry.camel == name) {
      return &entry;
    }
  }
  return nullptr;
}

std::string_view jsonTypeName(const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "an unknown type";
}

// Quotes a client-supplied name for an error message, cut short so that a huge key cannot bloat
// the answer.
std::string quoteClientText(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::size_t cut = std::min(text.size(), kMax);
  // Never cut inside a UTF-8 sequence: back up to the start of the character.
  while (cut < text.size() && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) {
    --cut;
  }
  std::string out = "\"";
  out.append(text.substr(0, cut));
  if (cut < text.size()) {
    out.append("...");
  }
  out.push_back('"');
  return out;
}

void storeField(const FieldName& name, std::string value, RequestDecodeResult& result) {
  auto& request = result.request;
  const std::string field(name.snake);
  switch (name.field) {
    case Field::kEnvironmentName:
      request.environment_name = std::move(value);
      return;
    case Field::kArtifactDigest:
      request.artifact_digest = std::move(value);
      return;
    case Field::kArtifactName:
      request.artifact_name = std::move(value);
      return;
    case Field::kArtifactVersion:
      request.artifact_version = std::move(value);
      return;
    case Field::kDeploymentName:
      request.deployment_name = std::move(value);
      return;
    case Field::kLogicalEnvironmentName:
      request.logical_environment_name = std::move(value);
      return;
    case Field::kKind:
      if (auto kind = parseArtifactKind(value)) {
        request.kind = *kind;
      } else {
        result.violations.push_back(
            {field, "must be one of ARTIFACT_KIND_UNSPECIFIED, CONTAINER_IMAGE, HELM_CHART"});
      }
      return;
    case Field::kStatus:
      if (auto status = parseDeploymentStatus(value)) {
        request.status = *status;
      } else {
        result.violations.push_back(
            {field, "must be one of DEPLOYMENT_STATUS_UNSPECIFIED, DEPLOYED, DECOMMISSIONED"});
      }
      return;
  }
}

void writeString(JsonWriter& writer, std::string_view key, std::string_view value) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void writeRecord(JsonWriter& writer, const DeploymentRecord& record) {
  writer.StartObject();
  writeString(writer, "id", record.id);
  writeString(writer, "environment_id", record.environment_id);
  writeString(writer, "status", toWireName(record.status));
  writeString(writer, "last_seen_at", formatRfc3339(record.last_seen_at));
  writeString(writer, "created_at", formatRfc3339(record.created_at));
  writeString(writer, "updated_at", formatRfc3339(record.updated_at));
  writeString(writer, "environment_name", record.environment_name);
  writeString(writer, "artifact_id", record.artifact_id);
  writer.Key("artifact");
  writer.StartObject();
  writeString(writer, "kind", record.artifact.kind);
  writeString(writer, "name", record.artifact.name);
  writeString(writer, "version", record.artifact.version);
  writeString(writer, "digest", record.artifact.digest);
  writer.EndObject();
  writeString(writer, "deployment_name", record.deployment_name);
  writeString(writer, "logical_environment_id", record.logical_environment_id);
  writeString(writer, "logical_environment_name", record.logical_environment_name);
  writer.EndObject();
}

}  // namespace

RequestDecodeResult decodeDeploymentRequest(std::string_view body) {
  RequestDecodeResult result;
  rapidjson::Document document;
  // Iterative parsing keeps deeply nested input from exhausting the stack.
  document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(
      body.data(), body.size());
  if (document.HasParseError()) {
    result.body_error = std::string("request body is not valid JSON: ") +
                        rapidjson::GetParseError_En(document.GetParseError()) + " (at byte " +
                        std::to_string(document.GetErrorOffset()) + ")";
    return result;
  }
  if (!document.IsObject()) {
    result.body_error =
        "request body must be a JSON object, not " + std::string(jsonTypeName(document));
    return result;
  }

  std::set<Field> seen;
  for (const auto& member : document.GetObject()) {
    const std::string_view key(member.name.GetString(), member.name.GetStringLength());
    const FieldName* name = findField(key);
    if (name == nullptr) {
      result.violations.push_back({quoteClientText(key), "is not a field of this request"});
      continue;
    }
    const std::string field(name->snake);
    if (!seen.insert(name->field).second) {
      result.violations.push_back({field, "is given more than once"});
      continue;
    }
    if (!member.value.IsString()) {
      result.violations.push_back(
          {field, "must be a string, not " + std::string(jsonTypeName(member.value))});
      continue;
    }
    storeField(*name, std::string(member.value.GetString(), member.value.GetStringLength()),
               result);
  }

  // Rule checks only for fields that decoded, so each fault is reported once.
  for (auto& violation : validateRequest(result.request)) {
    bool already_reported = false;
    for (const auto& earlier : result.violations) {
      already_reported = already_reported || earlier.field == violation.field;
    }
    if (!already_reported) {
      result.violations.push_back(std::move(violation));
    }
  }
  return result;
}

std::string encodeDeploymentRequest(const DeploymentRequest& request) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writeString(writer, "environment_name", request.environment_name);
  writeString(writer, "artifact_digest", request.artifact_digest);
  writeString(writer, "kind", toWireName(request.kind));
  if (request.artifact_name) {
    writeString(writer, "artifact_name", *request.artifact_name);
  }
  if (request.artifact_version) {
    writeString(writer, "artifact_version", *request.artifact_version);
  }
  writeString(writer, "status", toWireName(request.status));
  writeString(writer, "deployment_name", request.deployment_name);
  writeString(writer, "logical_environment_name", request.logical_environment_name);
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string encodeRecord(const DeploymentRecord& record) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writeRecord(writer, record);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string encodeRecordResponse(const DeploymentRecord& record) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("deployment_record");
  writeRecord(writer, record);
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string encodeErrorBody(int rpc_code, std::string_view message,
                            const std::vector<std::string>& details) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("code");
  writer.Int(rpc_code);
  writeString(writer, "message", message);
  writer.Key("details");
  writer.StartArray();
  for (const auto& detail : details) {
    writer.String(detail.data(), static_cast<rapidjson::SizeType>(detail.size()));
  }
  writer.EndArray();
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace ledger
