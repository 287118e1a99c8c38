#include "services/gateway/api_routes.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

#include "common/api_error.h"
#include "common/command.h"
#include "common/json_codec.h"
#include "common/list_query.h"
#include "common/log.h"
#include "common/request_validator.h"
#include "common/timestamp.h"
#include "common/trace_context.h"

namespace ledger::gateway {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using net::jsonResponse;

namespace {

constexpr std::string_view kDeploymentsPath = "/v1/deployments";
constexpr std::string_view kWriteScope = "deployments:write";
constexpr std::string_view kReadScope = "deployments:read";

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

ApiRoutes::ApiRoutes(RouteSettings settings, const auth::JwtVerifier& verifier,
                     CommandPublisher& publisher, PendingReplies& pending,
                     const ReplyListener& listener, RecordReader& reader,
                     const metrics::Registry& registry, GatewayMetrics& metrics)
    : settings_(std::move(settings)),
      verifier_(verifier),
      publisher_(publisher),
      pending_(pending),
      listener_(listener),
      reader_(reader),
      registry_(registry),
      metrics_(metrics),
      query_pool_(static_cast<std::size_t>(settings_.query_threads)),
      source_("//deployment-ledger/gateway/" + settings_.instance_id) {}

asio::awaitable<Response> ApiRoutes::handle(Request request) {
  const auto started = std::chrono::steady_clock::now();
  const auto request_id = randomId();
  metrics_.in_flight.add(1);
  std::string_view route_name = "unknown";
  Response response;
  try {
    response = co_await route(request, route_name, request_id);
  } catch (const std::exception& e) {
    log::error("request failed", {{"request_id", request_id}, {"error", e.what()}});
    response = errorResponse({ErrorKind::kInternal,
                              "internal error; see the service logs",
                              {"request_id: " + request_id}});
  }
  response.set("x-request-id", request_id);
  metrics_.in_flight.add(-1);
  metrics_.requests.with({std::string(route_name), std::to_string(response.result_int())})
      .increment();
  metrics_.request_duration.with({std::string(route_name)})
      .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  co_return response;
}

asio::awaitable<Response> ApiRoutes::route(const Request& request, std::string_view& route_name,
                                           const std::string& request_id) {
  const auto path = pathOf(request.target());
  const auto method = request.method();
  const bool collection = path == kDeploymentsPath;
  const bool item =
      path.size() > kDeploymentsPath.size() + 1 &&
      path.substr(0, kDeploymentsPath.size() + 1) == std::string(kDeploymentsPath) + "/";

  // The API: authenticated, by method.
  if (collection || item) {
    route_name = item ? "get_deployment"
                      : (method == http::verb::post ? "record_deployment" : "list_deployments");
    const bool allowed = collection ? (method == http::verb::post || method == http::verb::get)
                                    : method == http::verb::get;
    if (!allowed) {
      auto response = errorResponse({ErrorKind::kMethodNotAllowed,
                                     "method " + std::string(request.method_string()) +
                                         " is not allowed on " + std::string(path.substr(0, 200))});
      response.set(http::field::allow, collection ? "GET, POST" : "GET");
      co_return response;
    }
    auto principal = authenticate(request);
    if (auto* refusal = std::get_if<Response>(&principal)) {
      co_return std::move(*refusal);
    }
    const auto& caller = std::get<auth::Principal>(principal);
    if (method == http::verb::post) {
      co_return co_await recordDeployment(request, caller, request_id);
    }
    if (collection) {
      co_return co_await listDeployments(request, caller);
    }
    co_return co_await getDeployment(path.substr(kDeploymentsPath.size() + 1), caller);
  }

  // Operational endpoints: no token, GET only.
  const bool operational =
      path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/openapi.yaml";
  if (!operational) {
    co_return errorResponse(
        {ErrorKind::kNotFound, "no route for " + std::string(path.substr(0, 200))});
  }
  route_name = path.substr(1);
  if (method != http::verb::get) {
    auto response = errorResponse({ErrorKind::kMethodNotAllowed, "only GET is allowed here"});
    response.set(http::field::allow, "GET");
    co_return response;
  }
  if (path == "/healthz") {
    co_return jsonResponse(200, R"({"status":"ok"})", 11, true);
  }
  if (path == "/readyz") {
    co_return readiness();
  }
  Response response{http::status::ok, 11};
  if (path == "/metrics") {
    response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    response.body() = registry_.render();
  } else {
    response.set(http::field::content_type, "application/yaml");
    response.body() = std::string(embeddedOpenApi());
  }
  co_return response;
}

std::variant<auth::Principal, Response> ApiRoutes::authenticate(const Request& request) const {
  std::optional<std::string_view> header;
  if (auto it = request.find(http::field::authorization); it != request.end()) {
    header = it->value();
  }
  auto token = auth::bearerToken(header);
  std::optional<auth::AuthError> failure;
  if (auto* error = std::get_if<auth::AuthError>(&token)) {
    failure = *error;
  } else {
    auto verified =
        verifier_.verify(std::get<std::string_view>(token), std::chrono::system_clock::now());
    if (auto* principal = std::get_if<auth::Principal>(&verified)) {
      // The organization names rows and travels in a Kafka header: it must be a plain label.
      if (isDnsLabel(principal->organization)) {
        return std::move(*principal);
      }
      failure = auth::AuthError{std::string(auth::kInvalidToken),
                                "the org claim must be a DNS-1123 label"};
    } else {
      failure = std::get<auth::AuthError>(verified);
    }
  }

  // RFC 6750: no credentials get a bare challenge; bad ones name the error.
  const auto message = failure->error.empty() ? "a bearer token is required"
                                              : "invalid bearer token: " + failure->description;
  auto response = errorResponse({ErrorKind::kUnauthenticated, message});
  std::string challenge = "Bearer realm=\"deployment-ledger\"";
  if (!failure->error.empty()) {
    challenge +=
        ", error=\"" + failure->error + "\", error_description=\"" + failure->description + "\"";
  }
  response.set(http::field::www_authenticate, challenge);
  return response;
}

namespace {

Response forbidden(const std::string& message, std::string_view scope) {
  auto response = errorResponse({ErrorKind::kPermissionDenied, message});
  response.set(http::field::www_authenticate,
               "Bearer realm=\"deployment-ledger\", error=\"insufficient_scope\", scope=\"" +
                   std::string(scope) + "\"");
  return response;
}

}  // namespace

asio::awaitable<Response> ApiRoutes::recordDeployment(const Request& request,
                                                      const auth::Principal& principal,
                                                      const std::string& request_id) {
  if (!principal.hasScope(kWriteScope)) {
    co_return forbidden("the token lacks the scope " + std::string(kWriteScope), kWriteScope);
  }

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

  if (!principal.mayWriteEnvironment(decoded.request.environment_name)) {
    co_return forbidden(
        "the token may not write environment \"" + decoded.request.environment_name + "\"",
        kWriteScope);
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

  // The caller's trace continues through the command, the recorder and the event.
  std::optional<TraceContext> parent;
  if (auto it = request.find(kTraceparentHeader); it != request.end()) {
    parent = parseTraceparent(std::string_view(it->value().data(), it->value().size()));
  }
  const auto trace = continueTrace(parent);

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
      {std::string(command::kHeaderOrganization), principal.organization},
      {std::string(kTraceparentHeader), trace.traceparent()},
      {std::string(command::kHeaderReplyTo), listener_.channel()},
      {std::string(command::kHeaderCorrelationId), request_id},
  };
  if (auto error =
          publisher_.publish(decoded.request.slot().key(), encodeDeploymentRequest(decoded.request),
                             headers, request_id);
      !error.empty()) {
    pending_.remove(request_id);
    metrics_.produce_errors.increment();
    log::warn("publishing a command failed",
              {{"request_id", request_id}, {"trace_id", trace.trace_id}, {"error", error}});
    co_return errorResponse(
        {ErrorKind::kUnavailable, "the command queue is unavailable: " + error});
  }

  const auto published = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  metrics_.reply_wait.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - published).count());
  if (waiter->answer) {
    co_return jsonResponse(waiter->answer->status, std::move(waiter->answer->body), 11, true);
  }
  pending_.remove(request_id);
  metrics_.reply_timeouts.increment();
  log::warn("no reply from the recorder in time", {{"request_id", request_id},
                                                   {"trace_id", trace.trace_id},
                                                   {"slot", decoded.request.slot().key()}});
  co_return errorResponse({ErrorKind::kDeadlineExceeded,
                           "the deployment was not confirmed within " +
                               std::to_string(settings_.reply_timeout.count()) +
                               " ms; it may still be recorded, and retrying the request is safe",
                           {"request_id: " + request_id}});
}

ApiRoutes::~ApiRoutes() { query_pool_.join(); }

namespace {

bool mayRead(const auth::Principal& principal) {
  return principal.hasScope(kReadScope) || principal.hasScope(kWriteScope);
}

}  // namespace

asio::awaitable<Response> ApiRoutes::listDeployments(const Request& request,
                                                     const auth::Principal& principal) {
  if (!mayRead(principal)) {
    co_return forbidden("the token lacks the scope " + std::string(kReadScope), kReadScope);
  }
  const std::string_view target(request.target().data(), request.target().size());
  const auto question = target.find('?');
  const auto decoded = decodeListQuery(
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1));
  if (!decoded.ok()) {
    std::vector<std::string> details;
    for (const auto& violation : decoded.violations) {
      details.push_back(violation.toString());
    }
    co_return errorResponse({ErrorKind::kInvalidArgument,
                             "invalid query: " + decoded.violations.front().toString(),
                             std::move(details)});
  }
  // The query blocks, so it runs on a query thread; the answer comes back to this connection.
  const auto page = co_await asio::co_spawn(
      query_pool_,
      [&]() -> asio::awaitable<ListPage> {
        co_return reader_.list(principal.organization, decoded.query);
      },
      asio::use_awaitable);
  co_return jsonResponse(200, encodeListResponse(page, decoded.query), 11, true);
}

asio::awaitable<Response> ApiRoutes::getDeployment(std::string_view id,
                                                   const auth::Principal& principal) {
  if (!mayRead(principal)) {
    co_return forbidden("the token lacks the scope " + std::string(kReadScope), kReadScope);
  }
  if (!isRecordId(id)) {
    co_return errorResponse({ErrorKind::kInvalidArgument,
                             "invalid record id",
                             {"id: must be a UUID such as 0b7e6a52-3c41-4a8e-9d0f-2f1e5c6b7a80"}});
  }
  const std::string record_id(id);
  const auto record = co_await asio::co_spawn(
      query_pool_,
      [&]() -> asio::awaitable<std::optional<DeploymentRecord>> {
        co_return reader_.get(principal.organization, record_id);
      },
      asio::use_awaitable);
  // Another organization's record is as absent as one that never existed.
  if (!record) {
    co_return errorResponse({ErrorKind::kNotFound, "no deployment record " + record_id});
  }
  co_return jsonResponse(200, encodeRecordResponse(*record), 11, true);
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
