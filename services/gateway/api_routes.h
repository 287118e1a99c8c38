// The gateway's HTTP routes: record a deployment (validate, publish, wait for the committed
// outcome) and the health endpoints. A thin adapter over the codec in common/ and the
// publisher; thread-safe.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <variant>

#include "common/auth/jwt_verifier.h"
#include "common/net/http_server.h"
#include "services/gateway/command_publisher.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/pending_replies.h"
#include "services/gateway/record_reader.h"
#include "services/gateway/reply_listener.h"

namespace ledger::gateway {

using net::Request;
using net::Response;

struct RouteSettings {
  std::string instance_id;
  std::chrono::milliseconds reply_timeout{10000};
  int max_in_flight = 10000;
  int query_threads = 4;
};

class ApiRoutes {
 public:
  ApiRoutes(RouteSettings settings, const auth::JwtVerifier& verifier, CommandPublisher& publisher,
            PendingReplies& pending, const ReplyListener& listener, RecordReader& reader,
            const metrics::Registry& registry, GatewayMetrics& metrics);
  ~ApiRoutes();

  // Never throws: every failure becomes an error response.
  boost::asio::awaitable<Response> handle(Request request);

 private:
  // The caller's principal, or the 401 to answer with.
  std::variant<auth::Principal, Response> authenticate(const Request& request) const;
  boost::asio::awaitable<Response> recordDeployment(const Request& request,
                                                    const auth::Principal& principal,
                                                    const std::string& request_id);
  boost::asio::awaitable<Response> route(const Request& request, std::string_view& route_name,
                                         const std::string& request_id);
  boost::asio::awaitable<Response> listDeployments(const Request& request,
                                                   const auth::Principal& principal);
  boost::asio::awaitable<Response> getDeployment(std::string_view id,
                                                 const auth::Principal& principal);
  Response readiness() const;

  RouteSettings settings_;
  const auth::JwtVerifier& verifier_;
  CommandPublisher& publisher_;
  PendingReplies& pending_;
  const ReplyListener& listener_;
  RecordReader& reader_;
  const metrics::Registry& registry_;
  GatewayMetrics& metrics_;
  // Blocking database reads run here, off the I/O threads; its size bounds them.
  boost::asio::thread_pool query_pool_;
  std::string source_;
  std::atomic<int> in_flight_{0};
};

// 32 random lowercase hex digits. Thread-safe.
std::string randomId();

// schemas/openapi.yaml, embedded at build time. Defined in a generated file.
std::string_view embeddedOpenApi();

}  // namespace ledger::gateway
