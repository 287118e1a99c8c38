// The outcome the recorder sends back to the gateway instance that published a command, as the
// payload of a PostgreSQL notification on that instance's channel. Pure, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ledger {

inline constexpr std::string_view kReplyChannelPrefix = "ledger_reply_";

struct Reply {
  enum class Outcome { kRecorded, kRejected };

  std::string correlation_id;
  Outcome outcome = Outcome::kRecorded;
  // kRecorded: the HTTP response body ({"deployment_record": ...}). kRejected: why, for the log.
  std::string body;
};

// "<correlation id>\n<recorded|rejected>\n<body>"
std::string encodeReply(const Reply& reply);
std::optional<Reply> decodeReply(std::string_view payload);

// A channel name this service would use: the prefix, then 1 to 40 of [a-z0-9_]. Checked before
// the recorder notifies a channel named in a command.
bool isReplyChannel(std::string_view channel);

}  // namespace ledger
