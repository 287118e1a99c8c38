// W3C Trace Context (traceparent) handling, so that one deployment can be followed from the HTTP
// request through the command and the recorder to the emitted event. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ledger {

inline constexpr std::string_view kTraceparentHeader = "traceparent";

struct TraceContext {
  std::string trace_id;  // 32 lowercase hex digits, not all zero
  std::string span_id;   // 16 lowercase hex digits, not all zero
  std::string flags;     // 2 lowercase hex digits

  // "00-<trace id>-<span id>-<flags>"
  std::string traceparent() const;
};

// Parses a version-00 traceparent; nullopt when malformed (the caller then starts a new trace).
std::optional<TraceContext> parseTraceparent(std::string_view value);

// The caller's trace with a new span for this hop, or a new sampled trace when there is none.
TraceContext continueTrace(const std::optional<TraceContext>& parent);

}  // namespace ledger
