#include "services/gateway/pending_replies.h"

#include <boost/asio/post.hpp>

namespace ledger::gateway {

std::shared_ptr<PendingReplies::Waiter> PendingReplies::add(
    const std::string& id, const boost::asio::any_io_executor& executor) {
  auto waiter = std::make_shared<Waiter>(executor);
  std::lock_guard lock(mutex_);
  waiters_[id] = waiter;
  return waiter;
}

bool PendingReplies::complete(const std::string& id, Answer answer) {
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(mutex_);
    auto it = waiters_.find(id);
    if (it == waiters_.end()) {
      return false;
    }
    waiter = std::move(it->second);
    waiters_.erase(it);
  }
  auto executor = waiter->timer.get_executor();
  boost::asio::post(executor, [waiter = std::move(waiter), answer = std::move(answer)]() mutable {
    waiter->answer = std::move(answer);
    waiter->timer.cancel();
  });
  return true;
}

void PendingReplies::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  waiters_.erase(id);
}

std::size_t PendingReplies::size() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

}  // namespace ledger::gateway
