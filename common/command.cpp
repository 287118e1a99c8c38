#include "common/command.h"

#include <algorithm>

#include "common/reply.h"
#include "common/request_validator.h"

namespace ledger::command {
namespace {

// CloudEvents requires id and source to be non-empty; the ledger also bounds them, since
// (source, id) is stored as the command's identity.
constexpr std::size_t kMaxAttributeBytes = 512;

std::string describeRequired(std::string_view header, const std::optional<std::string>& value) {
  if (!value || value->empty()) {
    return "missing header " + std::string(header);
  }
  if (value->size() > kMaxAttributeBytes) {
    return "header " + std::string(header) + " is longer than " +
           std::to_string(kMaxAttributeBytes) + " bytes";
  }
  return {};
}

}  // namespace

std::string describeEnvelopeFault(const Envelope& envelope) {
  for (const auto& [header, value] :
       {std::pair{kHeaderSpecVersion, &envelope.spec_version}, std::pair{kHeaderId, &envelope.id},
        std::pair{kHeaderSource, &envelope.source}, std::pair{kHeaderType, &envelope.type}}) {
    if (auto fault = describeRequired(header, *value); !fault.empty()) {
      return fault;
    }
  }
  if (*envelope.spec_version != kSpecVersion) {
    return "unsupported ce_specversion \"" + *envelope.spec_version + "\"; expected 1.0";
  }
  if (*envelope.type != kRecordDeploymentType) {
    return "unsupported ce_type \"" + *envelope.type + "\"; expected " +
           std::string(kRecordDeploymentType);
  }
  if (!envelope.organization || !isDnsLabel(*envelope.organization)) {
    return envelope.organization ? "header ledger_organization must be a DNS-1123 label"
                                 : "missing header ledger_organization";
  }
  if (envelope.reply_to.has_value() != envelope.correlation_id.has_value()) {
    return "headers ledger_reply_to and ledger_correlation_id must be given together";
  }
  // Both end up in a notification payload, which must stay small and line-free.
  if (envelope.reply_to && !isReplyChannel(*envelope.reply_to)) {
    return "header ledger_reply_to is not a reply channel of this service";
  }
  if (envelope.correlation_id) {
    const auto& id = *envelope.correlation_id;
    const bool hex = std::all_of(id.begin(), id.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
    if (id.empty() || id.size() > 64 || !hex) {
      return "header ledger_correlation_id must be 1 to 64 lowercase hex digits";
    }
  }
  return {};
}

}  // namespace ledger::command
