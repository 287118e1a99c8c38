#include "common/reply.h"

namespace ledger {

std::string encodeReply(const Reply& reply) {
  std::string out = reply.correlation_id;
  out += reply.outcome == Reply::Outcome::kRecorded ? "\nrecorded\n" : "\nrejected\n";
  out += reply.body;
  return out;
}

std::optional<Reply> decodeReply(std::string_view payload) {
  const auto first = payload.find('\n');
  if (first == std::string_view::npos || first == 0) {
    return std::nullopt;
  }
  const auto second = payload.find('\n', first + 1);
  if (second == std::string_view::npos) {
    return std::nullopt;
  }
  Reply reply;
  reply.correlation_id = std::string(payload.substr(0, first));
  const auto outcome = payload.substr(first + 1, second - first - 1);
  if (outcome == "recorded") {
    reply.outcome = Reply::Outcome::kRecorded;
  } else if (outcome == "rejected") {
    reply.outcome = Reply::Outcome::kRejected;
  } else {
    return std::nullopt;
  }
  reply.body = std::string(payload.substr(second + 1));
  return reply;
}

bool isReplyChannel(std::string_view channel) {
  if (channel.substr(0, kReplyChannelPrefix.size()) != kReplyChannelPrefix) {
    return false;
  }
  const auto suffix = channel.substr(kReplyChannelPrefix.size());
  if (suffix.empty() || suffix.size() > 40) {
    return false;
  }
  for (char c : suffix) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

}  // namespace ledger
