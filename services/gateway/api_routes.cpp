#include "services/gateway/api_routes.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

#include "common/api_error.h"
#include "common/command.h"
#include "common/json_codec.h"
#include "common/log.h"
#include "common/timestamp.h"

namespace ledger::gateway {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr std::string_view kDeploymentsPath = "/v1/deployments";

Response errorResponse(const ApiError& error) {
  return jsonResponse(mapError(error.kind).http_status, encodeError(error), 11, true);
}

std::string_view pathOf(std::string_view target) { return target.substr(0, target.find('?')); }

std::string nowRfc3339() {
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return formatRfc3339(now.count());
}

}  // namespace

std::string randomId() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i % 16 == 0) {
      bits = generator();
    }
    out[i] = kHex[bits & 0xf];
    bits >>= 4;
  }
  return out;
}

ApiRoutes::ApiRoutes(RouteSettings settings, CommandPublisher& publisher, PendingReplies& pending,
                     const ReplyListener& listener)
    : settings_(std::move(settings)),
      publisher_(publisher),
      pending_(pending),
      listener_(listener),
      source_("//deployment-ledger/gateway/" + settings_.instance_id) {}

asio::awaitable<Response> ApiRoutes::handle(Request request) {
  const auto path = pathOf(request.target());
  const auto method = request.method();
  const auto request_id = randomId();
  Response response;
  try {
    if (path == kDeploymentsPath) {
      if (method == http::verb::post) {
        response = co_await recordDeployment(request, request_id);
      } else {
        response = errorResponse({ErrorKind::kMethodNotAllowed,
                                  "method " + std::string(request.method_string()) +
                                      " is not allowed on " + std::string(kDeploymentsPath)});
        response.set(http::field::allow, "POST");
      }
    } else if (path == "/healthz" || path == "/readyz") {
      if (method != http::verb::get) {
        response = errorResponse({ErrorKind::kMethodNotAllowed, "only GET is allowed here"});
        response.set(http::field::allow, "GET");
      } else if (path == "/healthz") {
        response = jsonResponse(200, R"({"status":"ok"})", 11, true);
      } else {
        response = readiness();
      }
    } else {
      response =
          errorResponse({ErrorKind::kNotFound, "no route for " + std::string(path.substr(0, 200))});
    }
  } catch (const std::exception& e) {
    log::error("request failed", {{"request_id", request_id}, {"error", e.what()}});
    response = errorResponse({ErrorKind::kInternal,
                              "internal error; see the service logs",
                              {"request_id: " + request_id}});
  }
  response.set("x-request-id", request_id);
  co_return response;
}

asio::awaitable<Response> ApiRoutes::recordDeployment(const Request& request,
                                                      const std::string& request_id) {
  // Validate: nothing invalid reaches Kafka.
  auto decoded = decodeDeploymentRequest(request.body());
  if (!decoded.body_error.empty()) {
    co_return errorResponse({ErrorKind::kInvalidArgument, decoded.body_error});
  }
  if (!decoded.violations.empty()) {
    std::vector<std::string> details;
    for (const auto& violation : decoded.violations) {
      details.push_back(violation.toString());
    }
    co_return errorResponse({ErrorKind::kInvalidArgument,
                             "invalid request: " + decoded.violations.front().toString(),
                             std::move(details)});
  }

  // Bound the work in flight.
  if (in_flight_.fetch_add(1) >= settings_.max_in_flight) {
    --in_flight_;
    co_return errorResponse(
        {ErrorKind::kUnavailable, "too many requests in flight; retry shortly"});
  }
  struct InFlight {
    std::atomic<int>& count;
    ~InFlight() { --count; }
  } in_flight{in_flight_};

  // Wait for the answer from here on; the deadline is set before publishing, so an answer that
  // arrives at once still finds the waiter armed.
  auto waiter = pending_.add(request_id, co_await asio::this_coro::executor);
  waiter->timer.expires_after(settings_.reply_timeout);
  const CommandPublisher::Headers headers{
      {std::string(command::kHeaderSpecVersion), std::string(command::kSpecVersion)},
      {std::string(command::kHeaderId), request_id},
      {std::string(command::kHeaderSource), source_},
      {std::string(command::kHeaderType), std::string(command::kRecordDeploymentType)},
      {std::string(command::kHeaderTime), nowRfc3339()},
      {std::string(command::kHeaderContentType), std::string(command::kContentType)},
      {std::string(command::kHeaderReplyTo), listener_.channel()},
      {std::string(command::kHeaderCorrelationId), request_id},
  };
  if (auto error =
          publisher_.publish(decoded.request.slot().key(), encodeDeploymentRequest(decoded.request),
                             headers, request_id);
      !error.empty()) {
    pending_.remove(request_id);
    log::warn("publishing a command failed", {{"request_id", request_id}, {"error", error}});
    co_return errorResponse(
        {ErrorKind::kUnavailable, "the command queue is unavailable: " + error});
  }

  boost::system::error_code ec;
  co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (waiter->answer) {
    co_return jsonResponse(waiter->answer->status, std::move(waiter->answer->body), 11, true);
  }
  pending_.remove(request_id);
  log::warn("no reply from the recorder in time",
            {{"request_id", request_id}, {"slot", decoded.request.slot().key()}});
  co_return errorResponse({ErrorKind::kDeadlineExceeded,
                           "the deployment was not confirmed within " +
                               std::to_string(settings_.reply_timeout.count()) +
                               " ms; it may still be recorded, and retrying the request is safe",
                           {"request_id: " + request_id}});
}

Response ApiRoutes::readiness() const {
  std::vector<std::string> problems;
  if (!publisher_.brokerReachable()) {
    problems.push_back("kafka: no broker reachable");
  }
  if (!listener_.listening()) {
    problems.push_back("postgres: not listening for replies");
  }
  if (problems.empty()) {
    return jsonResponse(200, R"({"status":"ready"})", 11, true);
  }
  return jsonResponse(503, encodeErrorBody(14, "not ready", problems), 11, true);
}

}  // namespace ledger::gateway
