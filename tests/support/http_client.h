// A blocking HTTP/1.1 client for tests, one connection per request.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace ledger::testing {

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
};

// Throws std::runtime_error when the connection fails.
HttpResult httpRequest(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {});

}  // namespace ledger::testing
