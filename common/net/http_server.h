// An asynchronous HTTP/1.1 server on Boost.Beast: one coroutine per connection, on its own
// strand, with keep-alive, a body limit and timeouts on every read and write. Requests go to one
// handler coroutine. Thread-safe; run the io_context on as many threads as wanted.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace ledger::net {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// Must not throw; runs on the connection's strand.
using Handler = std::function<boost::asio::awaitable<Response>(Request)>;

struct HttpLimits {
  std::size_t body_limit = 64 * 1024;
  std::size_t header_limit = 16 * 1024;
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds write_timeout{30000};
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpLimits limits, Handler handler);

  // Binds and starts accepting. Throws boost::system::system_error if it cannot bind.
  void listen(const std::string& address, std::uint16_t port);
  std::uint16_t port() const { return port_; }

  // Stops accepting connections; requests already read are still answered, and each connection
  // closes after its current answer.
  void stopAccepting();

  // Requests read and not yet answered.
  int activeRequests() const { return active_requests_.load(); }

 private:
  boost::asio::awaitable<void> accept();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  HttpLimits limits_;
  Handler handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<int> active_requests_{0};
  std::atomic<bool> draining_{false};  // set by stopAccepting: connections close after answering
};

// A JSON response with the given status and body.
Response jsonResponse(unsigned status, std::string body, unsigned version, bool keep_alive);

}  // namespace ledger::net
