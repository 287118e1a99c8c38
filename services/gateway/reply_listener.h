// Listens on this gateway instance's PostgreSQL notification channel for the recorder's replies
// and completes the matching waiting requests. Runs its own thread, holding its own connection;
// reconnects with backoff when the connection drops (replies sent meanwhile are lost, and their
// requests time out). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "services/gateway/pending_replies.h"

namespace ledger::gateway {

class ReplyListener {
 public:
  ReplyListener(std::string database_url, std::string channel, PendingReplies& pending);
  ~ReplyListener();

  // Starts listening. Blocks until the channel is listened on or timeout passes; returns false
  // in the second case (the thread keeps trying).
  bool start(std::chrono::milliseconds timeout);

  bool listening() const { return listening_.load(); }
  const std::string& channel() const { return channel_; }

 private:
  void run();
  void deliver(const std::string& payload);

  std::string database_url_;
  std::string channel_;
  PendingReplies& pending_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;
};

}  // namespace ledger::gateway
