// The gateway's HTTP routes: record a deployment (validate, publish, wait for the committed
// outcome) and the health endpoints. A thin adapter over the codec in common/ and the
// publisher; thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "services/gateway/command_publisher.h"
#include "services/gateway/http_server.h"
#include "services/gateway/pending_replies.h"
#include "services/gateway/reply_listener.h"

namespace ledger::gateway {

struct RouteSettings {
  std::string instance_id;
  std::chrono::milliseconds reply_timeout{10000};
  int max_in_flight = 10000;
};

class ApiRoutes {
 public:
  ApiRoutes(RouteSettings settings, CommandPublisher& publisher, PendingReplies& pending,
            const ReplyListener& listener);

  // Never throws: every failure becomes an error response.
  boost::asio::awaitable<Response> handle(Request request);

 private:
  boost::asio::awaitable<Response> recordDeployment(const Request& request,
                                                    const std::string& request_id);
  Response readiness() const;

  RouteSettings settings_;
  CommandPublisher& publisher_;
  PendingReplies& pending_;
  const ReplyListener& listener_;
  std::string source_;
  std::atomic<int> in_flight_{0};
};

// 32 random lowercase hex digits. Thread-safe.
std::string randomId();

}  // namespace ledger::gateway
