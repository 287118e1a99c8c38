#include "services/gateway/reply_listener.h"

#include <pqxx/pqxx>

#include "common/api_error.h"
#include "common/log.h"
#include "common/reply.h"

namespace ledger::gateway {
namespace {

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, const std::string& channel,
           std::function<void(const std::string&)> deliver)
      : pqxx::notification_receiver(connection, channel), deliver_(std::move(deliver)) {}

  void operator()(const std::string& payload, int) override { deliver_(payload); }

 private:
  std::function<void(const std::string&)> deliver_;
};

}  // namespace

ReplyListener::ReplyListener(std::string database_url, std::string channel, PendingReplies& pending)
    : database_url_(std::move(database_url)), channel_(std::move(channel)), pending_(pending) {}

ReplyListener::~ReplyListener() {
  stopping_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

bool ReplyListener::start(std::chrono::milliseconds timeout) {
  thread_ = std::thread([this] { run(); });
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!listening_.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return listening_.load();
}

void ReplyListener::run() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping_.load()) {
    try {
      pqxx::connection connection(database_url_);
      Receiver receiver(connection, channel_,
                        [this](const std::string& payload) { deliver(payload); });
      // The receiver issues LISTEN lazily; a round trip makes sure it is in effect.
      pqxx::nontransaction(connection).exec("select 1");
      listening_ = true;
      log::info("listening for replies", {{"channel", channel_}});
      backoff = std::chrono::milliseconds(100);
      while (!stopping_.load()) {
        connection.await_notification(0, 200000);
      }
    } catch (const std::exception& e) {
      if (listening_.exchange(false)) {
        log::error("reply channel lost; reconnecting",
                   {{"channel", channel_}, {"error", e.what()}});
      } else {
        log::warn("cannot listen for replies yet", {{"error", e.what()}});
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
  listening_ = false;
}

void ReplyListener::deliver(const std::string& payload) {
  auto reply = decodeReply(payload);
  if (!reply) {
    log::warn("ignoring a malformed reply", {{"channel", channel_}});
    return;
  }
  Answer answer;
  if (reply->outcome == Reply::Outcome::kRecorded) {
    answer = {200, std::move(reply->body)};
  } else {
    log::error("the recorder rejected a command",
               {{"request_id", reply->correlation_id}, {"reason", reply->body}});
    answer = {500, encodeError({ErrorKind::kInternal,
                                "the deployment could not be recorded; see the service logs",
                                {"request_id: " + reply->correlation_id}})};
  }
  // No waiter means the request already timed out: dropped quietly.
  pending_.complete(reply->correlation_id, std::move(answer));
}

}  // namespace ledger::gateway
