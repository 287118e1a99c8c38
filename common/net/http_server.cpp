#include "common/net/http_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "common/api_error.h"
#include "common/log.h"

namespace ledger::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Keeps the count of requests in flight honest on every exit path.
class ActiveRequest {
 public:
  explicit ActiveRequest(std::atomic<int>& count) : count_(count) { ++count_; }
  ~ActiveRequest() { --count_; }
  ActiveRequest(const ActiveRequest&) = delete;
  ActiveRequest& operator=(const ActiveRequest&) = delete;

 private:
  std::atomic<int>& count_;
};

}  // namespace

Response jsonResponse(unsigned status, std::string body, unsigned version, bool keep_alive) {
  Response response{static_cast<http::status>(status), version};
  response.set(http::field::content_type, "application/json");
  response.keep_alive(keep_alive);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

HttpServer::HttpServer(asio::io_context& io, HttpLimits limits, Handler handler)
    : io_(io), limits_(limits), handler_(std::move(handler)), acceptor_(asio::make_strand(io)) {}

void HttpServer::listen(const std::string& address, std::uint16_t port) {
  const tcp::endpoint endpoint(asio::ip::make_address(address), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(acceptor_.get_executor(), accept(), asio::detached);
}

void HttpServer::stopAccepting() {
  draining_ = true;
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
}

asio::awaitable<void> HttpServer::accept() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    // Each connection gets its own strand, so its coroutine and its reply waiter never race.
    auto socket = co_await acceptor_.async_accept(asio::make_strand(io_),
                                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
      break;
    }
    if (ec) {
      log::warn("accepting a connection failed", {{"error", ec.message()}});
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve(std::move(socket)), [](std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          log::error("connection handler failed", {{"error", e.what()}});
        }
      }
    });
  }
}

asio::awaitable<void> HttpServer::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(limits_.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(limits_.header_limit));
    stream.expires_after(limits_.read_timeout);
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      break;
    }

    // Errors the client should hear of before the connection closes.
    std::optional<Response> refusal;
    if (ec == http::error::body_limit) {
      refusal = jsonResponse(
          413,
          encodeError({ErrorKind::kPayloadTooLarge,
                       "request body exceeds " + std::to_string(limits_.body_limit) + " bytes"}),
          11, false);
    } else if (ec == http::error::header_limit) {
      refusal = jsonResponse(
          431, encodeError({ErrorKind::kInvalidArgument, "request headers are too large"}), 11,
          false);
    } else if (ec) {
      refusal = jsonResponse(
          400,
          encodeError({ErrorKind::kInvalidArgument, "malformed HTTP request: " + ec.message()}), 11,
          false);
    }
    if (refusal) {
      stream.expires_after(limits_.write_timeout);
      co_await http::async_write(stream, *refusal, asio::redirect_error(asio::use_awaitable, ec));
      break;
    }

    // A request counts as active until its answer is written.
    ActiveRequest active(active_requests_);
    auto request = parser.release();
    const bool keep_alive = request.keep_alive() && !draining_.load();
    const unsigned version = request.version();
    Response response = co_await handler_(std::move(request));
    response.version(version);
    response.keep_alive(keep_alive && !draining_.load());
    response.prepare_payload();
    stream.expires_after(limits_.write_timeout);
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !response.keep_alive()) {
      break;
    }
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace ledger::net
