#include "common/service_event.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_codec.h"
#include "common/timestamp.h"

namespace ledger {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void put(JsonWriter& writer, std::string_view key, std::string_view value) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

// Percent-encodes everything but unreserved characters (RFC 3986), as purl qualifiers and
// versions need.
std::string percentEncode(std::string_view text, std::string_view keep = "") {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~' || keep.find(c) != std::string_view::npos;
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace

std::string_view cdEventType(EventKind kind) {
  switch (kind) {
    case EventKind::kNone:
      return "";
    case EventKind::kDeployed:
      return "dev.cdevents.service.deployed.0.3.0";
    case EventKind::kUpgraded:
      return "dev.cdevents.service.upgraded.0.3.0";
    case EventKind::kRolledBack:
      return "dev.cdevents.service.rolledback.0.3.0";
    case EventKind::kRemoved:
      return "dev.cdevents.service.removed.0.3.0";
  }
  return "";
}

EventKind classifyChange(const TransitionPlan& plan, bool held_before) {
  if (plan.action == RecordAction::kUpdate && !plan.material_change) {
    return EventKind::kNone;
  }
  if (plan.status == DeploymentStatus::kDecommissioned) {
    return EventKind::kRemoved;
  }
  if (plan.action == RecordAction::kCreate && plan.supersede_previous) {
    return held_before ? EventKind::kRolledBack : EventKind::kUpgraded;
  }
  return EventKind::kDeployed;
}

std::string artifactPurl(const Artifact& artifact) {
  const auto slash = artifact.name.rfind('/');
  std::string name =
      lowercase(slash == std::string::npos ? artifact.name : artifact.name.substr(slash + 1));
  if (artifact.kind == toWireName(ArtifactKind::kContainerImage) && !name.empty()) {
    // A tag or digest suffix in the image name is not part of the purl name.
    name = name.substr(0, name.find_first_of(":@"));
    std::string purl = "pkg:oci/" + percentEncode(name) + "@" + percentEncode(artifact.digest);
    purl += "?repository_url=" + percentEncode(lowercase(artifact.name));
    if (!artifact.version.empty()) {
      purl += "&tag=" + percentEncode(artifact.version);
    }
    return purl;
  }
  std::string purl = "pkg:generic/" + percentEncode(name.empty() ? "artifact" : name);
  if (!artifact.version.empty()) {
    purl += "@" + percentEncode(artifact.version);
  }
  return purl + "?checksum=" + percentEncode(artifact.digest, ":");
}

std::string eventId(const std::string& record_id, int revision) {
  return record_id + ":" + std::to_string(revision);
}

std::string encodeServiceEvent(const ServiceEvent& event) {
  const auto& record = event.record;
  const std::string slot = record.environment_name + "/" + record.deployment_name;
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();

  writer.Key("context");
  writer.StartObject();
  put(writer, "specversion", kCdEventsSpecVersion);
  put(writer, "id", event.id);
  put(writer, "source", kEventSource);
  put(writer, "type", cdEventType(event.kind));
  put(writer, "timestamp", formatRfc3339(record.updated_at));
  writer.EndObject();

  writer.Key("subject");
  writer.StartObject();
  put(writer, "id", slot);
  put(writer, "source", kSubjectSource);
  writer.Key("content");
  writer.StartObject();
  writer.Key("environment");
  writer.StartObject();
  put(writer, "id", record.environment_name);
  put(writer, "source", kSubjectSource);
  writer.EndObject();
  // service.removed names no artifact in CDEvents 0.5; customData still holds the record.
  if (event.kind != EventKind::kRemoved) {
    put(writer, "artifactId", artifactPurl(record.artifact));
  }
  writer.EndObject();
  writer.EndObject();

  put(writer, "customDataContentType", "application/json");
  writer.Key("customData");
  writer.StartObject();
  put(writer, "organization", event.organization);
  writer.Key("deployment_record");
  const auto record_json = encodeRecord(record);
  writer.RawValue(record_json.data(), record_json.size(), rapidjson::kObjectType);
  if (event.supersession) {
    writer.Key("supersession");
    writer.StartObject();
    put(writer, "superseded_record_id", event.supersession->superseded_record_id);
    put(writer, "superseded_artifact_digest", event.supersession->superseded_artifact_digest);
    put(writer, "replacing_record_id", event.supersession->replacing_record_id);
    writer.EndObject();
  }
  writer.EndObject();

  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace ledger
