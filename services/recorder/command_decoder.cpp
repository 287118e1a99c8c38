#include "services/recorder/command_decoder.h"

#include "common/json_codec.h"

namespace ledger::recorder {

std::string_view toCode(PoisonReason reason) {
  switch (reason) {
    case PoisonReason::kInvalidEnvelope:
      return "INVALID_ENVELOPE";
    case PoisonReason::kValueTooLarge:
      return "VALUE_TOO_LARGE";
    case PoisonReason::kInvalidJson:
      return "INVALID_JSON";
    case PoisonReason::kInvalidCommand:
      return "INVALID_COMMAND";
    case PoisonReason::kKeyMismatch:
      return "KEY_MISMATCH";
    case PoisonReason::kRejected:
      return "REJECTED";
  }
  return "UNKNOWN";
}

DecodeOutcome decodeCommand(const RawMessage& message) {
  DecodeOutcome outcome;
  if (auto fault = command::describeEnvelopeFault(message.envelope); !fault.empty()) {
    outcome.reason = PoisonReason::kInvalidEnvelope;
    outcome.fault = std::move(fault);
    return outcome;
  }
  if (message.value.size() > command::kMaxValueBytes) {
    outcome.reason = PoisonReason::kValueTooLarge;
    outcome.fault = "value of " + std::to_string(message.value.size()) +
                    " bytes exceeds the limit of " + std::to_string(command::kMaxValueBytes);
    return outcome;
  }

  auto decoded = decodeDeploymentRequest(message.value);
  if (!decoded.body_error.empty()) {
    outcome.reason = PoisonReason::kInvalidJson;
    outcome.fault = std::move(decoded.body_error);
    return outcome;
  }
  if (!decoded.violations.empty()) {
    outcome.reason = PoisonReason::kInvalidCommand;
    for (const auto& violation : decoded.violations) {
      outcome.fault += (outcome.fault.empty() ? "" : "; ") + violation.toString();
    }
    return outcome;
  }
  const auto slot_key = decoded.request.slot().key();
  if (!message.key || *message.key != slot_key) {
    outcome.reason = PoisonReason::kKeyMismatch;
    outcome.fault = "message key must be the slot \"" + slot_key + "\"";
    return outcome;
  }

  const auto& envelope = message.envelope;
  outcome.command = Command{
      *envelope.organization, *envelope.source,        *envelope.id, std::move(decoded.request),
      envelope.reply_to,      envelope.correlation_id, std::nullopt};
  if (envelope.traceparent) {
    outcome.command->trace = parseTraceparent(*envelope.traceparent);
  }
  return outcome;
}

}  // namespace ledger::recorder
