// Requests waiting for the recorder's answer, by correlation id. A waiter is completed from any
// thread; the completion runs on the waiter's own executor. A completion for an id nobody waits
// on any more is dropped quietly. Thread-safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace ledger::gateway {

// The HTTP answer a waiting request gives its client.
struct Answer {
  unsigned status = 500;
  std::string body;
};

class PendingReplies {
 public:
  struct Waiter {
    explicit Waiter(const boost::asio::any_io_executor& executor) : timer(executor) {}
    // Expires at the deadline, or is cancelled when the answer arrives.
    boost::asio::steady_timer timer;
    std::optional<Answer> answer;  // touched only on the timer's executor
  };

  // Registers a waiter for id, bound to executor (the requesting connection's strand).
  std::shared_ptr<Waiter> add(const std::string& id, const boost::asio::any_io_executor& executor);

  // Hands the answer to the waiter for id, if one still waits. Returns whether one did.
  bool complete(const std::string& id, Answer answer);

  // Forgets id (after a timeout); a later complete() for it is dropped.
  void remove(const std::string& id);

  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Waiter>> waiters_;
};

}  // namespace ledger::gateway
