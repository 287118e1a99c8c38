#include "common/auth/jwt_verifier.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>

namespace ledger::auth {
namespace {

template <auto Free>
struct OpensslDeleter {
  template <typename T>
  void operator()(T* pointer) const {
    Free(pointer);
  }
};

using BignumPtr = std::unique_ptr<BIGNUM, OpensslDeleter<BN_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpensslDeleter<ECDSA_SIG_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpensslDeleter<EVP_MD_CTX_free>>;
using ParamBuildPtr = std::unique_ptr<OSSL_PARAM_BLD, OpensslDeleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OpensslDeleter<OSSL_PARAM_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpensslDeleter<EVP_PKEY_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpensslDeleter<EVP_PKEY_free>>;

enum class Algorithm { kHs256, kRs256, kEs256 };

constexpr std::size_t kSha256Length = 32;
constexpr std::size_t kP256CoordinateLength = 32;
constexpr std::size_t kMaxJwksFileSize = 1024 * 1024;
constexpr std::string_view kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

std::string_view algorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kHs256:
      return "HS256";
    case Algorithm::kRs256:
      return "RS256";
    case Algorithm::kEs256:
      return "ES256";
  }
  return "?";
}

// JOSE algorithm names are case-sensitive.
std::optional<Algorithm> parseAlgorithm(std::string_view name) {
  for (auto algorithm : {Algorithm::kHs256, Algorithm::kRs256, Algorithm::kEs256}) {
    if (algorithmName(algorithm) == name) {
      return algorithm;
    }
  }
  return std::nullopt;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Quotes a value from the configuration for an error message, cut short if long.
std::string quote(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out = "\"";
  out.append(text.substr(0, kMax));
  if (text.size() > kMax) {
    out.append("...");
  }
  out.push_back('"');
  return out;
}

// The reason for OpenSSL's most recent failure on this thread; empties the thread's error queue.
std::string takeOpensslError() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) {
    return "unknown OpenSSL error";
  }
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

std::string_view view(const rapidjson::Value& string) {
  return {string.GetString(), string.GetStringLength()};
}

const rapidjson::Value* findMember(const rapidjson::Value& object, const char* name) {
  const auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// Parses text as a JSON object whose member names are all distinct. Returns what is wrong, or
// an empty string.
std::string parseObject(std::string_view text, rapidjson::Document& document) {
  document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(
      text.data(), text.size());
  if (document.HasParseError() || !document.IsObject()) {
    return "is not a JSON object";
  }
  // RFC 7515 4: a repeated name must be rejected, or two readers could see different values.
  std::set<std::string_view> names;
  for (const auto& member : document.GetObject()) {
    if (!names.insert(view(member.name)).second) {
      return "repeats a member name";
    }
  }
  return {};
}

std::optional<std::array<unsigned char, kSha256Length>> hmacSha256(std::string_view secret,
                                                                   std::string_view input) {
  std::array<unsigned char, kSha256Length> mac{};
  std::size_t length = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                bytes(input), input.size(), mac.data(), mac.size(), &length) == nullptr ||
      length != mac.size()) {
    ERR_clear_error();
    return std::nullopt;
  }
  return mac;
}

bool verifyHs256(std::string_view secret, std::string_view input, std::string_view signature) {
  const auto mac = hmacSha256(secret, input);
  return mac && signature.size() == mac->size() &&
         CRYPTO_memcmp(mac->data(), signature.data(), mac->size()) == 0;
}

// JWS carries an ES256 signature as r and s, 32 big-endian bytes each; OpenSSL verifies the DER
// form of ECDSA-Sig-Value. Returns nothing if the signature is not 64 bytes.
std::optional<std::string> ecdsaRawToDer(std::string_view raw) {
  if (raw.size() != 2 * kP256CoordinateLength) {
    return std::nullopt;
  }
  BignumPtr r(BN_bin2bn(bytes(raw), kP256CoordinateLength, nullptr));
  BignumPtr s(BN_bin2bn(bytes(raw) + kP256CoordinateLength, kP256CoordinateLength, nullptr));
  EcdsaSigPtr signature(ECDSA_SIG_new());
  if (!r || !s || !signature || ECDSA_SIG_set0(signature.get(), r.get(), s.get()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  // The signature owns r and s now.
  r.release();
  s.release();
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(signature.get(), &der);
  if (length <= 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

// RS256 (PKCS #1 v1.5) or ES256 (DER signature), both over SHA-256.
bool verifyWithPublicKey(EVP_PKEY* key, std::string_view input, std::string_view signature) {
  MdCtxPtr context(EVP_MD_CTX_new());
  const bool ok = context &&
                  EVP_DigestVerifyInit_ex(context.get(), nullptr, "SHA256", nullptr, nullptr, key,
                                          nullptr) == 1 &&
                  EVP_DigestVerify(context.get(), bytes(signature), signature.size(), bytes(input),
                                   input.size()) == 1;
  ERR_clear_error();
  return ok;
}

struct PublicKey {
  std::string kid;
  Algorithm algorithm;  // the one algorithm this key verifies
  std::shared_ptr<EVP_PKEY> key;
};

AuthError tokenError(std::string description) {
  return {std::string(kInvalidToken), std::move(description)};
}

// Picks the key for a token signed with algorithm: the one named by kid, or without a kid the
// only key for that algorithm.
std::variant<const PublicKey*, AuthError> selectKey(const std::vector<PublicKey>& keys,
                                                    Algorithm algorithm,
                                                    std::optional<std::string_view> kid) {
  const std::string name(algorithmName(algorithm));
  if (keys.empty()) {
    return tokenError("token was signed with " + name + " but no public keys are configured");
  }
  if (kid) {
    const auto it = std::find_if(keys.begin(), keys.end(),
                                 [&](const PublicKey& key) { return key.kid == *kid; });
    if (it == keys.end()) {
      return tokenError("no configured key has the token's kid");
    }
    if (it->algorithm != algorithm) {
      return tokenError("the key named by kid does not verify " + name);
    }
    return &*it;
  }
  const PublicKey* found = nullptr;
  for (const auto& key : keys) {
    if (key.algorithm == algorithm) {
      if (found != nullptr) {
        return tokenError("token has no kid and more than one configured key verifies " + name);
      }
      found = &key;
    }
  }
  if (found == nullptr) {
    return tokenError("token has no kid and no configured key verifies " + name);
  }
  return found;
}

// Reads a NumericDate claim: absent, a number (integer or not), or a fault.
struct NumericDate {
  std::optional<double> value;
  bool malformed = false;
};

NumericDate numericDate(const rapidjson::Value& claims, const char* name) {
  const auto* member = findMember(claims, name);
  if (member == nullptr) {
    return {};
  }
  if (!member->IsNumber()) {
    return {std::nullopt, true};
  }
  return {member->GetDouble(), false};
}

bool isStringArray(const rapidjson::Value& value) {
  return value.IsArray() &&
         std::all_of(value.Begin(), value.End(),
                     [](const rapidjson::Value& item) { return item.IsString(); });
}

std::variant<Principal, AuthError> readClaims(const rapidjson::Value& claims,
                                              const std::string& issuer,
                                              const std::string& audience, double leeway,
                                              double now) {
  // Validity window (RFC 7519 4.1.4 to 4.1.6), each bound widened by the leeway.
  const auto exp = numericDate(claims, "exp");
  if (exp.malformed) {
    return tokenError("exp must be a number");
  }
  if (!exp.value) {
    return tokenError("token has no exp claim");
  }
  if (now >= *exp.value + leeway) {
    return tokenError("token expired");
  }
  const auto nbf = numericDate(claims, "nbf");
  if (nbf.malformed) {
    return tokenError("nbf must be a number");
  }
  if (nbf.value && now < *nbf.value - leeway) {
    return tokenError("token is not valid yet (nbf is in the future)");
  }
  const auto iat = numericDate(claims, "iat");
  if (iat.malformed) {
    return tokenError("iat must be a number");
  }
  if (iat.value && *iat.value > now + leeway) {
    return tokenError("token was issued in the future (iat)");
  }

  // Issuer and audience, when configured.
  if (!issuer.empty()) {
    const auto* iss = findMember(claims, "iss");
    if (iss == nullptr) {
      return tokenError("token has no iss claim");
    }
    if (!iss->IsString() || view(*iss) != issuer) {
      return tokenError("token issuer does not match");
    }
  }
  if (!audience.empty()) {
    const auto* aud = findMember(claims, "aud");
    if (aud == nullptr) {
      return tokenError("token has no aud claim");
    }
    if (!aud->IsString() && !isStringArray(*aud)) {
      return tokenError("aud must be a string or an array of strings");
    }
    const bool matches =
        aud->IsString() ? view(*aud) == audience
                        : std::any_of(aud->Begin(), aud->End(), [&](const rapidjson::Value& item) {
                            return view(item) == audience;
                          });
    if (!matches) {
      return tokenError("token audience does not match");
    }
  }

  // The principal.
  Principal principal;
  const auto* org = findMember(claims, "org");
  if (org == nullptr) {
    return tokenError("token has no org claim");
  }
  if (!org->IsString() || org->GetStringLength() == 0) {
    return tokenError("org must be a non-empty string");
  }
  principal.organization = std::string(view(*org));
  if (const auto* sub = findMember(claims, "sub")) {
    if (!sub->IsString()) {
      return tokenError("sub must be a string");
    }
    principal.subject = std::string(view(*sub));
  }
  if (const auto* scope = findMember(claims, "scope")) {
    if (!scope->IsString()) {
      return tokenError("scope must be a string of space-separated scopes");
    }
    const std::string_view text = view(*scope);
    std::size_t start = 0;
    while (start < text.size()) {
      const auto end = std::min(text.find(' ', start), text.size());
      if (end > start) {
        principal.scopes.emplace_back(text.substr(start, end - start));
      }
      start = end + 1;
    }
  }
  if (const auto* environments = findMember(claims, "environments")) {
    if (!isStringArray(*environments)) {
      return tokenError("environments must be an array of strings");
    }
    principal.environments.emplace();
    for (const auto& item : environments->GetArray()) {
      principal.environments->emplace_back(view(item));
    }
  }
  return principal;
}

// Reads a whole file of at most kMaxJwksFileSize bytes. Returns what went wrong, or empty.
std::string readFile(const std::string& path, std::string& contents) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return std::string("cannot be opened: ") + std::strerror(errno);
  }
  std::array<char, 8192> buffer{};
  std::string error;
  while (true) {
    const std::size_t count = std::fread(buffer.data(), 1, buffer.size(), file);
    contents.append(buffer.data(), count);
    if (contents.size() > kMaxJwksFileSize) {
      error = "is larger than " + std::to_string(kMaxJwksFileSize) + " bytes";
      break;
    }
    if (count < buffer.size()) {
      if (std::ferror(file) != 0) {
        error = "cannot be read";
      }
      break;
    }
  }
  std::fclose(file);
  return error;
}

// Builds a public key from the built OSSL_PARAMs and checks it (RSA: modulus and exponent sane; EC:
// point on the curve). Returns nothing with the OpenSSL reason in error.
PkeyPtr publicKeyFromParams(const char* type, OSSL_PARAM_BLD* build, std::string& error) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(build));
  PkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    error = takeOpensslError();
    return nullptr;
  }
  PkeyPtr key(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    error = takeOpensslError();
    return nullptr;
  }
  return key;
}

// A base64url member of a JWK, decoded; nothing if absent, not a string or not base64url.
std::optional<std::string> binaryMember(const rapidjson::Value& jwk, const char* name) {
  const auto* member = findMember(jwk, name);
  if (member == nullptr || !member->IsString()) {
    return std::nullopt;
  }
  return base64UrlDecode(view(*member));
}

PkeyPtr importRsaKey(const rapidjson::Value& jwk, std::string& error) {
  const auto n = binaryMember(jwk, "n");
  const auto e = binaryMember(jwk, "e");
  if (!n || !e || n->empty() || e->empty()) {
    error = "n and e must be non-empty base64url strings";
    return nullptr;
  }
  BignumPtr modulus(BN_bin2bn(bytes(*n), static_cast<int>(n->size()), nullptr));
  BignumPtr exponent(BN_bin2bn(bytes(*e), static_cast<int>(e->size()), nullptr));
  ParamBuildPtr build(OSSL_PARAM_BLD_new());
  if (!modulus || !exponent || !build ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
    error = takeOpensslError();
    return nullptr;
  }
  auto key = publicKeyFromParams("RSA", build.get(), error);
  if (key && EVP_PKEY_get_bits(key.get()) < kMinRsaModulusBits) {
    error = "the RSA modulus has " + std::to_string(EVP_PKEY_get_bits(key.get())) +
            " bits; RS256 needs at least " + std::to_string(kMinRsaModulusBits);
    return nullptr;
  }
  return key;
}

PkeyPtr importP256Key(const rapidjson::Value& jwk, std::string& error) {
  const auto x = binaryMember(jwk, "x");
  const auto y = binaryMember(jwk, "y");
  if (!x || !y || x->size() != kP256CoordinateLength || y->size() != kP256CoordinateLength) {
    error = "x and y must be base64url strings of 32 bytes each";
    return nullptr;
  }
  // An uncompressed point: 0x04, then x and y.
  const std::string point = "\x04" + *x + *y;
  ParamBuildPtr build(OSSL_PARAM_BLD_new());
  if (!build ||
      OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    error = takeOpensslError();
    return nullptr;
  }
  return publicKeyFromParams("EC", build.get(), error);
}

// One JWK as a verification key. Returns what is wrong with it, or empty.
std::string importJwk(const rapidjson::Value& jwk, PublicKey& out) {
  // Private members of RSA, EC and symmetric JWKs (RFC 7518 6.3.2, 6.2.2 and 6.4).
  for (const char* name : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (findMember(jwk, name) != nullptr) {
      return "holds private key material (\"" + std::string(name) +
             "\"); the JWKS file must hold public keys only";
    }
  }
  if (const auto* use = findMember(jwk, "use");
      use != nullptr && !(use->IsString() && view(*use) == "sig")) {
    return "use must be \"sig\"";
  }
  const auto* kty = findMember(jwk, "kty");
  if (kty == nullptr || !kty->IsString()) {
    return "has no kty";
  }

  std::string error;
  if (view(*kty) == "RSA") {
    out.algorithm = Algorithm::kRs256;
    out.key.reset(importRsaKey(jwk, error).release(), EVP_PKEY_free);
  } else if (view(*kty) == "EC") {
    const auto* crv = findMember(jwk, "crv");
    if (crv == nullptr || !crv->IsString()) {
      return "an EC key needs crv";
    }
    if (view(*crv) != "P-256") {
      return "crv " + quote(view(*crv)) + " is not supported; only P-256 (ES256) is";
    }
    out.algorithm = Algorithm::kEs256;
    out.key.reset(importP256Key(jwk, error).release(), EVP_PKEY_free);
  } else {
    return "kty " + quote(view(*kty)) + " is not supported; expected RSA or EC";
  }
  if (!out.key) {
    return "cannot be imported: " + error;
  }

  // A declared alg must be the one algorithm the key type allows.
  if (const auto* alg = findMember(jwk, "alg")) {
    if (!alg->IsString()) {
      return "alg must be a string";
    }
    if (view(*alg) != algorithmName(out.algorithm)) {
      return "alg " + quote(view(*alg)) + " is not supported for kty " + quote(view(*kty)) +
             "; expected " + std::string(algorithmName(out.algorithm));
    }
  }
  return {};
}

// Reads and imports every key of a JWKS file. Returns what is wrong, or empty.
std::string loadJwks(const std::string& path, std::vector<PublicKey>& keys) {
  std::string contents;
  if (auto error = readFile(path, contents); !error.empty()) {
    return error;
  }
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(
      contents.data(), contents.size());
  if (document.HasParseError()) {
    return std::string("is not JSON: ") + rapidjson::GetParseError_En(document.GetParseError()) +
           " (at byte " + std::to_string(document.GetErrorOffset()) + ")";
  }
  const auto* list = document.IsObject() ? findMember(document, "keys") : nullptr;
  if (list == nullptr || !list->IsArray()) {
    return "is not a JWKS: expected an object with a \"keys\" array";
  }
  if (list->Empty()) {
    return "holds no keys";
  }

  std::set<std::string> kids;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const auto& jwk = (*list)[i];
    const std::string position = "key " + std::to_string(i);
    if (!jwk.IsObject()) {
      return position + " is not an object";
    }
    const auto* kid = findMember(jwk, "kid");
    if (kid == nullptr || !kid->IsString() || kid->GetStringLength() == 0) {
      return position + " has no kid";
    }
    PublicKey key;
    key.kid = std::string(view(*kid));
    if (!kids.insert(key.kid).second) {
      return position + " repeats kid " + quote(key.kid);
    }
    if (auto error = importJwk(jwk, key); !error.empty()) {
      return position + " (kid " + quote(key.kid) + ") " + error;
    }
    keys.push_back(std::move(key));
  }
  return {};
}

// RFC 9110 5.6.2: token = 1*tchar, the syntax of an authentication scheme.
bool isToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool isB64Token(std::string_view text) {
  const auto body_end = text.find_last_not_of('=');
  if (body_end == std::string_view::npos) {
    return false;
  }
  return std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(body_end) + 1,
                     [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' ||
                              c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
                     });
}

int base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '-') {
    return 62;
  }
  if (c == '_') {
    return 63;
  }
  return -1;
}

}  // namespace

struct JwtVerifier::KeySet {
  std::vector<PublicKey> keys;
};

bool Principal::hasScope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

bool Principal::mayWriteEnvironment(std::string_view environment) const {
  return !environments ||
         std::find(environments->begin(), environments->end(), environment) != environments->end();
}

std::variant<JwtVerifier, std::string> JwtVerifier::create(const VerifierSettings& settings) {
  if (settings.hs256_secret.empty() && settings.jwks_path.empty()) {
    return "neither an HS256 shared secret nor a JWKS file is configured; set at least one";
  }
  if (!settings.hs256_secret.empty() && settings.hs256_secret.size() < kMinSecretLength) {
    return "the HS256 shared secret has " + std::to_string(settings.hs256_secret.size()) +
           " bytes; it needs at least " + std::to_string(kMinSecretLength);
  }
  if (settings.leeway.count() < 0) {
    return std::string("the leeway must not be negative");
  }
  auto keys = std::make_shared<KeySet>();
  if (!settings.jwks_path.empty()) {
    if (auto error = loadJwks(settings.jwks_path, keys->keys); !error.empty()) {
      return "JWKS file " + quote(settings.jwks_path) + " " + error;
    }
  }

  JwtVerifier verifier;
  verifier.secret_ = settings.hs256_secret;
  verifier.issuer_ = settings.issuer;
  verifier.audience_ = settings.audience;
  verifier.leeway_ = settings.leeway;
  verifier.keys_ = std::move(keys);
  return verifier;
}

std::vector<std::string> JwtVerifier::keyIds() const {
  std::vector<std::string> out;
  for (const auto& key : keys_->keys) {
    out.push_back(key.kid);
  }
  return out;
}

std::variant<Principal, AuthError> JwtVerifier::verify(
    std::string_view token, std::chrono::system_clock::time_point now) const {
  // Three parts; the signature covers the first two exactly as sent.
  if (token.size() > kMaxTokenLength) {
    return tokenError("token is longer than " + std::to_string(kMaxTokenLength) + " bytes");
  }
  const auto first_dot = token.find('.');
  const auto second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return tokenError("token is not three base64url parts separated by dots");
  }
  const auto signing_input = token.substr(0, second_dot);
  const auto payload_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const auto signature_part = token.substr(second_dot + 1);

  // The header names the algorithm and perhaps the key. Key material embedded in or referenced
  // by the header (jwk, jku, x5u, x5c) is never used.
  const auto header_text = base64UrlDecode(token.substr(0, first_dot));
  if (!header_text) {
    return tokenError("token header is not base64url");
  }
  rapidjson::Document header;
  if (auto fault = parseObject(*header_text, header); !fault.empty()) {
    return tokenError("token header " + fault);
  }
  const auto* alg = findMember(header, "alg");
  if (alg == nullptr || !alg->IsString()) {
    return tokenError("token header has no alg");
  }
  if (equalsIgnoreCase(view(*alg), "none")) {
    return tokenError("algorithm none is not accepted");
  }
  const auto algorithm = parseAlgorithm(view(*alg));
  if (!algorithm) {
    return tokenError("algorithm is not supported; accepted are HS256, RS256 and ES256");
  }
  if (findMember(header, "crit") != nullptr) {
    return tokenError("token header lists critical extensions, which are not supported");
  }
  std::optional<std::string_view> kid;
  if (const auto* member = findMember(header, "kid")) {
    if (!member->IsString()) {
      return tokenError("kid must be a string");
    }
    kid = view(*member);
  }

  // The signature, with the secret for HS256 or the selected public key otherwise.
  const auto signature = base64UrlDecode(signature_part);
  if (!signature) {
    return tokenError("token signature is not base64url");
  }
  bool signature_holds = false;
  if (*algorithm == Algorithm::kHs256) {
    if (secret_.empty()) {
      return tokenError("token was signed with HS256 but no shared secret is configured");
    }
    signature_holds = verifyHs256(secret_, signing_input, *signature);
  } else {
    auto selected = selectKey(keys_->keys, *algorithm, kid);
    if (auto* error = std::get_if<AuthError>(&selected)) {
      return std::move(*error);
    }
    const PublicKey& key = *std::get<const PublicKey*>(selected);
    if (*algorithm == Algorithm::kEs256) {
      const auto der = ecdsaRawToDer(*signature);
      signature_holds = der && verifyWithPublicKey(key.key.get(), signing_input, *der);
    } else {
      signature_holds = verifyWithPublicKey(key.key.get(), signing_input, *signature);
    }
  }
  if (!signature_holds) {
    return tokenError("signature does not verify");
  }

  // Only a signed payload is read.
  const auto payload_text = base64UrlDecode(payload_part);
  if (!payload_text) {
    return tokenError("token payload is not base64url");
  }
  rapidjson::Document claims;
  if (auto fault = parseObject(*payload_text, claims); !fault.empty()) {
    return tokenError("token payload " + fault);
  }
  const double now_seconds = std::chrono::duration<double>(now.time_since_epoch()).count();
  return readClaims(claims, issuer_, audience_, static_cast<double>(leeway_.count()), now_seconds);
}

std::variant<std::string_view, AuthError> bearerToken(
    std::optional<std::string_view> header_value) {
  if (!header_value) {
    return AuthError{"", "request has no Authorization header"};
  }
  const std::string_view value = *header_value;
  const auto space = value.find(' ');
  const auto scheme = value.substr(0, space);
  if (!isToken(scheme)) {
    return AuthError{std::string(kInvalidRequest),
                     "Authorization header does not start with a scheme and a space"};
  }
  // RFC 6750 3.1: a request using another method carries no bearer credentials.
  if (!equalsIgnoreCase(scheme, "Bearer")) {
    return AuthError{"", "Authorization header uses a scheme other than Bearer"};
  }
  if (space == std::string_view::npos || !isB64Token(value.substr(space + 1))) {
    return AuthError{std::string(kInvalidRequest),
                     "Authorization header must be the Bearer scheme, one space and one token"};
  }
  return value.substr(space + 1);
}

std::string signHs256(std::string_view secret, std::string_view claims_json) {
  std::string token = base64UrlEncode(kHs256Header) + "." + base64UrlEncode(claims_json);
  const auto mac = hmacSha256(secret, token);
  if (!mac) {
    return {};
  }
  token.push_back('.');
  token.append(base64UrlEncode({reinterpret_cast<const char*>(mac->data()), mac->size()}));
  return token;
}

std::string base64UrlEncode(std::string_view bytes) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : bytes) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 0x3f]);
    }
    bits &= (1u << count) - 1;
  }
  if (count > 0) {
    out.push_back(kAlphabet[(bits << (6 - count)) & 0x3f]);
  }
  return out;
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
  // Four characters carry three bytes; a lone trailing character would carry only six bits.
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    const int value = base64UrlValue(c);
    if (value < 0) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
      bits &= (1u << count) - 1;
    }
  }
  // The unused low bits of the last character must be zero, so that each byte string has exactly
  // one encoding.
  if (bits != 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace ledger::auth
