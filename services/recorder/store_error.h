// The store's one error type: what failed and whether trying again can help.
#pragma once

#include <stdexcept>
#include <string>

namespace ledger::recorder {

class StoreError : public std::runtime_error {
 public:
  StoreError(const std::string& what, bool retryable)
      : std::runtime_error(what), retryable_(retryable) {}

  // True when the database could not be reached or the transaction lost a race: the same work
  // may succeed later. False when the database refused the work itself.
  bool retryable() const { return retryable_; }

 private:
  bool retryable_;
};

}  // namespace ledger::recorder
