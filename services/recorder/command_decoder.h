// Turns a message from the commands topic into a command the store can apply, or says why it is
// poison. The same validation as the gateway's. Pure, no Kafka types, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/command.h"
#include "common/deployment.h"
#include "common/trace_context.h"

namespace ledger::recorder {

struct Command {
  std::string organization;  // the tenant it acts for
  std::string source;        // ce_source; with organization and id, the command's identity
  std::string id;            // ce_id
  DeploymentRequest request;
  std::optional<std::string> reply_to;
  std::optional<std::string> correlation_id;
  std::optional<TraceContext> trace;  // the producer's trace, when it sent a valid traceparent
};

// Stable codes for why a message went to the dead-letter topic.
enum class PoisonReason {
  kInvalidEnvelope,  // a CloudEvent header is missing or unsupported
  kValueTooLarge,
  kInvalidJson,     // the value is not a JSON object
  kInvalidCommand,  // the JSON does not satisfy the request rules
  kKeyMismatch,     // the key is not the slot the value names
  kRejected,        // the database refused to apply it
};
std::string_view toCode(PoisonReason reason);

struct RawMessage {
  std::optional<std::string_view> key;
  std::string_view value;
  command::Envelope envelope;
};

struct DecodeOutcome {
  std::optional<Command> command;  // set when the message can be applied
  PoisonReason reason = PoisonReason::kInvalidEnvelope;
  std::string fault;  // why not, when command is empty
};

DecodeOutcome decodeCommand(const RawMessage& message);

}  // namespace ledger::recorder
