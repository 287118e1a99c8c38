#include "common/trace_context.h"

#include <random>

namespace ledger {
namespace {

bool isLowerHex(std::string_view text, std::size_t length) {
  if (text.size() != length) {
    return false;
  }
  bool nonzero = false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
    nonzero = nonzero || c != '0';
  }
  return nonzero || length == 2;
}

std::string randomHex(std::size_t length) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  while (out.size() < length) {
    auto bits = generator();
    for (int i = 0; i < 16 && out.size() < length; ++i, bits >>= 4) {
      out.push_back(kHex[bits & 0xf]);
    }
  }
  if (out.find_first_not_of('0') == std::string::npos) {
    out.back() = '1';  // all zeros is invalid
  }
  return out;
}

}  // namespace

std::string TraceContext::traceparent() const {
  return "00-" + trace_id + "-" + span_id + "-" + flags;
}

std::optional<TraceContext> parseTraceparent(std::string_view value) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters.
  if (value.size() != 55 || value.substr(0, 3) != "00-" || value[35] != '-' || value[52] != '-') {
    return std::nullopt;
  }
  const auto trace_id = value.substr(3, 32);
  const auto span_id = value.substr(36, 16);
  const auto flags = value.substr(53, 2);
  if (!isLowerHex(trace_id, 32) || !isLowerHex(span_id, 16) || !isLowerHex(flags, 2)) {
    return std::nullopt;
  }
  return TraceContext{std::string(trace_id), std::string(span_id), std::string(flags)};
}

TraceContext continueTrace(const std::optional<TraceContext>& parent) {
  if (parent) {
    return TraceContext{parent->trace_id, randomHex(16), parent->flags};
  }
  return TraceContext{randomHex(32), randomHex(16), "01"};
}

}  // namespace ledger
