// The Kafka command that asks the recorder to record a deployment: a CloudEvent 1.0 in binary
// content mode. The value is the request's JSON; the attributes travel as "ce_" headers; the key
// is the slot. Pure definitions, no Kafka types.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ledger::command {

inline constexpr std::string_view kSpecVersion = "1.0";
inline constexpr std::string_view kRecordDeploymentType =
    "dev.deployment-ledger.command.record-deployment.v1";
inline constexpr std::string_view kContentType = "application/json";

inline constexpr std::string_view kHeaderSpecVersion = "ce_specversion";
inline constexpr std::string_view kHeaderId = "ce_id";
inline constexpr std::string_view kHeaderSource = "ce_source";
inline constexpr std::string_view kHeaderType = "ce_type";
inline constexpr std::string_view kHeaderTime = "ce_time";
inline constexpr std::string_view kHeaderContentType = "content-type";
// The organization (tenant) the command acts for. The gateway sets it from the verified token;
// a direct producer must set it, and Kafka's ACLs decide who may write the topic.
inline constexpr std::string_view kHeaderOrganization = "ledger_organization";
// Set by the gateway only: where the recorder sends the outcome, and how the gateway matches it.
inline constexpr std::string_view kHeaderReplyTo = "ledger_reply_to";
inline constexpr std::string_view kHeaderCorrelationId = "ledger_correlation_id";

// Largest command value the recorder applies; larger ones are rejected as poison.
inline constexpr std::size_t kMaxValueBytes = 64 * 1024;

// The CloudEvent attributes and reply routing of one command, as read from its headers.
struct Envelope {
  std::optional<std::string> spec_version;
  std::optional<std::string> id;
  std::optional<std::string> source;
  std::optional<std::string> type;
  std::optional<std::string> organization;
  std::optional<std::string> traceparent;  // W3C trace context; a malformed one is ignored
  std::optional<std::string> reply_to;
  std::optional<std::string> correlation_id;
};

// Why an envelope cannot be applied (a missing or unsupported attribute), or empty when it can.
std::string describeEnvelopeFault(const Envelope& envelope);

}  // namespace ledger::command
