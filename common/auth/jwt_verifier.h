// Bearer-token authentication for the HTTP gateway: extracting the token from an Authorization
// header and verifying it as a compact JWS (RFC 7515) carrying JWT claims (RFC 7519). Accepted
// algorithms are HS256 with a shared secret, and RS256 and ES256 (P-256) with public keys from a
// JWKS file. All cryptography goes through OpenSSL 3. Nothing here throws, logs or blocks except
// JwtVerifier::create, which reads the JWKS file.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ledger::auth {

// Who a verified token speaks for and what it allows.
struct Principal {
  std::string organization;                              // claim "org": required, non-empty
  std::string subject;                                   // claim "sub"; empty when absent
  std::vector<std::string> scopes;                       // claim "scope", split at spaces
  std::optional<std::vector<std::string>> environments;  // claim "environments", when present

  // True when scope is one of the granted scopes (exact match).
  bool hasScope(std::string_view scope) const;
  // True when the token names no environments, or names this one (exact match). An empty list
  // allows none.
  bool mayWriteEnvironment(std::string_view environment) const;

  bool operator==(const Principal&) const = default;
};

// Why a request is not authenticated, in RFC 6750 terms, for the WWW-Authenticate header.
struct AuthError {
  // "invalid_request" or "invalid_token"; empty when the request carries no bearer credentials at
  // all, in which case RFC 6750 says the challenge names no error.
  std::string error;
  // What was wrong, for the client and the logs. Never contains the token or parts of it, and
  // holds only the characters RFC 6750 3 allows in error_description (printable ASCII without
  // '"' and '\\'), so it can be quoted into a WWW-Authenticate header as it is.
  std::string description;

  bool operator==(const AuthError&) const = default;
};

inline constexpr std::string_view kInvalidRequest = "invalid_request";
inline constexpr std::string_view kInvalidToken = "invalid_token";

// Tokens longer than this are rejected before any decoding.
inline constexpr std::size_t kMaxTokenLength = 16 * 1024;
// RFC 7518 3.2: an HS256 key must be at least as long as the hash output.
inline constexpr std::size_t kMinSecretLength = 32;
// RFC 7518 3.3: RS256 keys must have a modulus of at least 2048 bits.
inline constexpr int kMinRsaModulusBits = 2048;

struct VerifierSettings {
  std::string hs256_secret;  // shared secret for HS256, at least 32 bytes; empty: HS256 disabled
  std::string jwks_path;     // JWKS file with RS256/ES256 public keys; empty: no public keys
  std::string issuer;        // required "iss"; empty: iss not checked
  std::string audience;      // required member of "aud" (string or array); empty: not checked
  std::chrono::seconds leeway{30};  // clock skew tolerated on exp, nbf and iat
};

// Verifies bearer tokens against a fixed set of keys. Immutable after create(); copies share the
// imported keys. verify() is const and thread-safe: any number of threads may call it at once.
class JwtVerifier {
 public:
  // Checks the settings and imports the JWKS file if one is configured. Blocks on reading that
  // file. Requires a secret or a JWKS file. Returns the verifier, or one line naming what is
  // wrong: a secret too short, a negative leeway, the file unreadable or not a JWKS, or a key
  // with no kid, a repeated kid, an unsupported kty, crv, alg or use, private key material, a
  // weak RSA modulus or an EC point not on the curve.
  static std::variant<JwtVerifier, std::string> create(const VerifierSettings& settings);

  // Verifies a compact JWS and reads its claims; now is the time to check exp, nbf and iat
  // against. Every failure is an invalid_token AuthError whose description says what was wrong.
  std::variant<Principal, AuthError> verify(std::string_view token,
                                            std::chrono::system_clock::time_point now) const;

  // Key ids loaded from the JWKS file, in file order, for the start-up log line.
  std::vector<std::string> keyIds() const;

 private:
  struct KeySet;  // imported OpenSSL keys, defined in the .cpp

  JwtVerifier() = default;

  std::string secret_;
  std::string issuer_;
  std::string audience_;
  std::chrono::seconds leeway_{0};
  std::shared_ptr<const KeySet> keys_;  // never null after create()
};

// Extracts the token from an Authorization header value. The value must be exactly the scheme
// "Bearer" (any case), one space and one token of RFC 6750 b64token characters. A missing header
// or another scheme (e.g. Basic) is an AuthError with an empty error: no bearer credentials were
// sent. A Bearer header of any other shape is invalid_request. The result views header_value.
std::variant<std::string_view, AuthError> bearerToken(std::optional<std::string_view> header_value);

// Signs claims (JSON object text, used as given) as an HS256 JWT with the header
// {"alg":"HS256","typ":"JWT"}. For the local token tool and tests. Returns an empty string only
// if OpenSSL fails.
std::string signHs256(std::string_view secret, std::string_view claims_json);

// Base64url without padding (RFC 7515 section 2), as JWS uses it.
std::string base64UrlEncode(std::string_view bytes);
// Decodes unpadded base64url. Returns nothing for a character outside the URL-safe alphabet
// (padding included), an impossible length, or non-zero unused bits in the last character.
std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace ledger::auth
