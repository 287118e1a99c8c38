#include "common/auth/jwt_verifier.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

namespace ledger::auth {
namespace {

using std::chrono::seconds;

constexpr std::int64_t kNow = 1'700'000'000;
const std::chrono::system_clock::time_point kNowPoint{seconds(kNow)};
constexpr std::int64_t kLeeway = 30;
constexpr std::string_view kSecret = "an HS256 secret of more than 32 bytes";
constexpr std::string_view kHsHeader = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view kRsHeader = R"({"alg":"RS256","typ":"JWT","kid":"rsa-1"})";
constexpr std::string_view kEsHeader = R"({"alg":"ES256","typ":"JWT","kid":"ec-1"})";

// What the tests sign and check are computed with OpenSSL directly, independently of the code
// under test: base64url via EVP_EncodeBlock, HMAC via EVP_MAC, signatures via EVP_DigestSign.

std::string b64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(length));
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  out.erase(std::remove(out.begin(), out.end(), '='), out.end());
  return out;
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* context = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  std::string out(32, '\0');
  std::size_t length = 0;
  const bool ok = EVP_MAC_init(context, reinterpret_cast<const unsigned char*>(key.data()),
                               key.size(), params) == 1 &&
                  EVP_MAC_update(context, reinterpret_cast<const unsigned char*>(data.data()),
                                 data.size()) == 1 &&
                  EVP_MAC_final(context, reinterpret_cast<unsigned char*>(out.data()), &length,
                                out.size()) == 1;
  EVP_MAC_CTX_free(context);
  EVP_MAC_free(mac);
  EXPECT_TRUE(ok);
  return out;
}

std::string signWithKey(EVP_PKEY* key, std::string_view input) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  std::size_t length = 0;
  std::string signature;
  if (EVP_DigestSignInit_ex(context, nullptr, "SHA256", nullptr, nullptr, key, nullptr) == 1 &&
      EVP_DigestSign(context, nullptr, &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1) {
    signature.resize(length);
    EXPECT_EQ(EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length,
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
              1);
    signature.resize(length);
  }
  EVP_MD_CTX_free(context);
  EXPECT_FALSE(signature.empty());
  return signature;
}

// OpenSSL's DER ECDSA-Sig-Value as JWS wants it: r and s as 32 big-endian bytes each.
std::string derToRaw(std::string_view der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* signature = d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size()));
  std::string raw(64, '\0');
  EXPECT_NE(signature, nullptr);
  if (signature != nullptr) {
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(signature, &r, &s);
    BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(signature);
  }
  return raw;
}

std::string bignumParam(EVP_PKEY* key, const char* name, int pad_to = 0) {
  BIGNUM* value = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &value), 1);
  std::string out(static_cast<std::size_t>(std::max(pad_to, BN_num_bytes(value))), '\0');
  BN_bn2binpad(value, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(value);
  return out;
}

std::string publicKeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

std::string publicKeyDer(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

std::string rsaJwk(EVP_PKEY* key, std::string_view kid, std::string_view extra = "") {
  return R"({"kty":"RSA","kid":")" + std::string(kid) + R"(","use":"sig","n":")" +
         b64url(bignumParam(key, OSSL_PKEY_PARAM_RSA_N)) + R"(","e":")" +
         b64url(bignumParam(key, OSSL_PKEY_PARAM_RSA_E)) + "\"" + std::string(extra) + "}";
}

std::string ecJwk(EVP_PKEY* key, std::string_view kid, std::string_view extra = "",
                  std::string y = "") {
  if (y.empty()) {
    y = bignumParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
  }
  return R"({"kty":"EC","crv":"P-256","kid":")" + std::string(kid) + R"(","x":")" +
         b64url(bignumParam(key, OSSL_PKEY_PARAM_EC_PUB_X, 32)) + R"(","y":")" + b64url(y) + "\"" +
         std::string(extra) + "}";
}

std::string jwks(const std::vector<std::string>& keys) {
  std::string out = R"({"keys":[)";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    out += (i == 0 ? "" : ",") + keys[i];
  }
  return out + "]}";
}

std::string signingInput(std::string_view header, std::string_view payload) {
  return b64url(header) + "." + b64url(payload);
}

std::string hsToken(std::string_view claims, std::string_view header = kHsHeader,
                    std::string_view secret = kSecret) {
  const auto input = signingInput(header, claims);
  return input + "." + b64url(hmacSha256(secret, input));
}

std::string rsToken(std::string_view claims, EVP_PKEY* key, std::string_view header = kRsHeader) {
  const auto input = signingInput(header, claims);
  return input + "." + b64url(signWithKey(key, input));
}

std::string esToken(std::string_view claims, EVP_PKEY* key, std::string_view header = kEsHeader) {
  const auto input = signingInput(header, claims);
  return input + "." + b64url(derToRaw(signWithKey(key, input)));
}

// Valid claims with exp ten minutes after kNow, plus extra members (each starting with a comma).
std::string claims(std::string_view extra = "") {
  return R"({"org":"acme","sub":"ci-bot","scope":"deployments:write","exp":)" +
         std::to_string(kNow + 600) + std::string(extra) + "}";
}

// Claims whose time members are exactly what is given, e.g. R"("exp":1700000000.5)".
std::string timedClaims(std::string_view times) {
  return R"({"org":"acme",)" + std::string(times) + "}";
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
    other_rsa_key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
    ec_key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    other_ec_key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  }

  static void TearDownTestSuite() {
    for (auto* key : {rsa_key_, other_rsa_key_, ec_key_, other_ec_key_}) {
      EVP_PKEY_free(key);
    }
  }

  void SetUp() override {
    ASSERT_NE(rsa_key_, nullptr);
    ASSERT_NE(other_rsa_key_, nullptr);
    ASSERT_NE(ec_key_, nullptr);
    ASSERT_NE(other_ec_key_, nullptr);
    jwks_path_ = writeFile(jwks({rsaJwk(rsa_key_, "rsa-1", R"(,"alg":"RS256")"),
                                 ecJwk(ec_key_, "ec-1", R"(,"alg":"ES256")")}));
  }

  void TearDown() override {
    for (const auto& path : files_) {
      std::filesystem::remove(path);
    }
  }

  std::string writeFile(std::string_view contents) {
    static std::atomic<int> counter{0};
    const auto path =
        std::filesystem::temp_directory_path() /
        ("jwt_verifier_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::ofstream(path, std::ios::binary) << contents;
    files_.push_back(path);
    return path.string();
  }

  VerifierSettings settings() const {
    VerifierSettings s;
    s.hs256_secret = std::string(kSecret);
    s.jwks_path = jwks_path_;
    s.leeway = seconds(kLeeway);
    return s;
  }

  // The verifier for settings; a failure to create it fails the test.
  static JwtVerifier verifierFor(const VerifierSettings& s) {
    auto created = JwtVerifier::create(s);
    if (auto* error = std::get_if<std::string>(&created)) {
      ADD_FAILURE() << "create failed: " << *error;
    }
    return std::get<JwtVerifier>(std::move(created));
  }

  // Why create refuses s; empty if it does not.
  static std::string createError(const VerifierSettings& s) {
    auto created = JwtVerifier::create(s);
    auto* error = std::get_if<std::string>(&created);
    return error == nullptr ? "" : *error;
  }

  std::string createErrorForJwks(std::string_view contents) {
    auto s = settings();
    s.jwks_path = writeFile(contents);
    return createError(s);
  }

  static Principal accepted(const JwtVerifier& verifier, std::string_view token,
                            std::chrono::system_clock::time_point now = kNowPoint) {
    auto result = verifier.verify(token, now);
    if (auto* error = std::get_if<AuthError>(&result)) {
      ADD_FAILURE() << "rejected: " << error->description;
      return {};
    }
    return std::get<Principal>(result);
  }

  // The description of an invalid_token rejection, or "accepted".
  static std::string rejection(const JwtVerifier& verifier, std::string_view token,
                               std::chrono::system_clock::time_point now = kNowPoint) {
    auto result = verifier.verify(token, now);
    if (auto* error = std::get_if<AuthError>(&result)) {
      EXPECT_EQ(error->error, "invalid_token");
      return error->description;
    }
    return "accepted";
  }

  Principal accepted(std::string_view token) { return accepted(verifier(), token); }
  std::string rejection(std::string_view token) { return rejection(verifier(), token); }

  const JwtVerifier& verifier() {
    if (!verifier_) {
      verifier_ = verifierFor(settings());
    }
    return *verifier_;
  }

  static EVP_PKEY* rsa_key_;
  static EVP_PKEY* other_rsa_key_;
  static EVP_PKEY* ec_key_;
  static EVP_PKEY* other_ec_key_;

  std::string jwks_path_;
  std::vector<std::filesystem::path> files_;
  std::optional<JwtVerifier> verifier_;
};

EVP_PKEY* JwtVerifierTest::rsa_key_ = nullptr;
EVP_PKEY* JwtVerifierTest::other_rsa_key_ = nullptr;
EVP_PKEY* JwtVerifierTest::ec_key_ = nullptr;
EVP_PKEY* JwtVerifierTest::other_ec_key_ = nullptr;

// Acceptance of each algorithm.

TEST_F(JwtVerifierTest, AcceptsHs256TokenFromSignHs256) {
  const auto principal = accepted(signHs256(kSecret, claims()));
  EXPECT_EQ(principal.organization, "acme");
  EXPECT_EQ(principal.subject, "ci-bot");
  EXPECT_EQ(principal.scopes, std::vector<std::string>{"deployments:write"});
  EXPECT_FALSE(principal.environments.has_value());
}

TEST_F(JwtVerifierTest, SignHs256MatchesAnIndependentHmac) {
  EXPECT_EQ(signHs256(kSecret, claims()), hsToken(claims()));
  EXPECT_EQ(accepted(hsToken(claims())).organization, "acme");
}

TEST_F(JwtVerifierTest, AcceptsRs256TokenSelectedByKid) {
  EXPECT_EQ(accepted(rsToken(claims(), rsa_key_)).organization, "acme");
}

TEST_F(JwtVerifierTest, AcceptsEs256TokenSelectedByKid) {
  EXPECT_EQ(accepted(esToken(claims(), ec_key_)).organization, "acme");
}

TEST_F(JwtVerifierTest, AcceptsTokenWithoutKidWhenExactlyOneKeyFitsItsAlgorithm) {
  EXPECT_EQ(accepted(rsToken(claims(), rsa_key_, R"({"alg":"RS256"})")).organization, "acme");
  EXPECT_EQ(accepted(esToken(claims(), ec_key_, R"({"alg":"ES256"})")).organization, "acme");
}

TEST_F(JwtVerifierTest, AcceptsJwksKeysThatDeclareNoAlg) {
  auto s = settings();
  s.jwks_path = writeFile(jwks({rsaJwk(rsa_key_, "rsa-1"), ecJwk(ec_key_, "ec-1")}));
  const auto verifier = verifierFor(s);
  EXPECT_EQ(accepted(verifier, rsToken(claims(), rsa_key_)).organization, "acme");
  EXPECT_EQ(accepted(verifier, esToken(claims(), ec_key_)).organization, "acme");
}

TEST_F(JwtVerifierTest, AcceptsAnEs256SignatureWhoseRHasLeadingZeroBytes) {
  // About one signature in 256 has r below 2^248; sign until one does, so that the padding of
  // short integers is exercised.
  const auto input = signingInput(kEsHeader, claims());
  for (int attempt = 0; attempt < 5000; ++attempt) {
    const auto raw = derToRaw(signWithKey(ec_key_, input));
    if (raw[0] == '\0') {
      EXPECT_EQ(accepted(input + "." + b64url(raw)).organization, "acme");
      return;
    }
  }
  GTEST_SKIP() << "no signature with a short r came up";
}

// Key selection and wrong keys.

TEST_F(JwtVerifierTest, PicksTheKeyNamedByKidAmongSeveralOfOneAlgorithm) {
  auto s = settings();
  s.jwks_path = writeFile(jwks({rsaJwk(rsa_key_, "rsa-1"), rsaJwk(other_rsa_key_, "rsa-2")}));
  const auto verifier = verifierFor(s);
  const std::string header_2 = R"({"alg":"RS256","kid":"rsa-2"})";
  EXPECT_EQ(accepted(verifier, rsToken(claims(), other_rsa_key_, header_2)).organization, "acme");
  EXPECT_EQ(accepted(verifier, rsToken(claims(), rsa_key_)).organization, "acme");
  EXPECT_EQ(rejection(verifier, rsToken(claims(), rsa_key_, header_2)),
            "signature does not verify");
}

TEST_F(JwtVerifierTest, RejectsTokenWithoutKidWhenSeveralKeysFit) {
  auto s = settings();
  s.jwks_path = writeFile(jwks({rsaJwk(rsa_key_, "rsa-1"), rsaJwk(other_rsa_key_, "rsa-2")}));
  EXPECT_EQ(rejection(verifierFor(s), rsToken(claims(), rsa_key_, R"({"alg":"RS256"})")),
            "token has no kid and more than one configured key verifies RS256");
}

TEST_F(JwtVerifierTest, RejectsTokenWithoutKidWhenNoKeyFits) {
  auto s = settings();
  s.jwks_path = writeFile(jwks({ecJwk(ec_key_, "ec-1")}));
  EXPECT_EQ(rejection(verifierFor(s), rsToken(claims(), rsa_key_, R"({"alg":"RS256"})")),
            "token has no kid and no configured key verifies RS256");
}

TEST_F(JwtVerifierTest, RejectsUnknownKid) {
  EXPECT_EQ(rejection(rsToken(claims(), rsa_key_, R"({"alg":"RS256","kid":"rsa-9"})")),
            "no configured key has the token's kid");
}

TEST_F(JwtVerifierTest, RejectsNonStringKid) {
  EXPECT_EQ(rejection(rsToken(claims(), rsa_key_, R"({"alg":"RS256","kid":1})")),
            "kid must be a string");
}

TEST_F(JwtVerifierTest, RejectsKidNamingAKeyForAnotherAlgorithm) {
  EXPECT_EQ(rejection(esToken(claims(), ec_key_, R"({"alg":"ES256","kid":"rsa-1"})")),
            "the key named by kid does not verify ES256");
  EXPECT_EQ(rejection(rsToken(claims(), rsa_key_, R"({"alg":"RS256","kid":"ec-1"})")),
            "the key named by kid does not verify RS256");
}

TEST_F(JwtVerifierTest, RejectsTokensSignedWithAnotherKey) {
  EXPECT_EQ(rejection(rsToken(claims(), other_rsa_key_)), "signature does not verify");
  EXPECT_EQ(rejection(esToken(claims(), other_ec_key_)), "signature does not verify");
  EXPECT_EQ(rejection(hsToken(claims(), kHsHeader, "another secret of more than 32 bytes")),
            "signature does not verify");
}

TEST_F(JwtVerifierTest, RejectsTamperedPayloadForEveryAlgorithm) {
  const auto forged_payload = b64url(claims(R"(,"environments":["prod"])"));
  for (const auto& token :
       {hsToken(claims()), rsToken(claims(), rsa_key_), esToken(claims(), ec_key_)}) {
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    const auto forged = token.substr(0, first + 1) + forged_payload + token.substr(second);
    EXPECT_EQ(rejection(forged), "signature does not verify");
  }
}

TEST_F(JwtVerifierTest, RejectsTamperedSignatureForEveryAlgorithm) {
  for (const auto& token :
       {hsToken(claims()), rsToken(claims(), rsa_key_), esToken(claims(), ec_key_)}) {
    const auto dot = token.rfind('.');
    auto signature = *base64UrlDecode(token.substr(dot + 1));
    signature[signature.size() / 2] ^= 0x01;
    EXPECT_EQ(rejection(token.substr(0, dot + 1) + b64url(signature)), "signature does not verify");
    EXPECT_EQ(rejection(token.substr(0, dot + 1)), "signature does not verify");
  }
}

TEST_F(JwtVerifierTest, RejectsEs256SignatureInDerForm) {
  const auto input = signingInput(kEsHeader, claims());
  EXPECT_EQ(rejection(input + "." + b64url(signWithKey(ec_key_, input))),
            "signature does not verify");
}

// Algorithms that must never be accepted.

TEST_F(JwtVerifierTest, RejectsAlgorithmNoneInAnyCase) {
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    const std::string header = R"({"alg":")" + std::string(alg) + R"(","typ":"JWT"})";
    const auto input = signingInput(header, claims());
    EXPECT_EQ(rejection(input + "."), "algorithm none is not accepted") << alg;
    EXPECT_EQ(rejection(input + "." + b64url(hmacSha256(kSecret, input))),
              "algorithm none is not accepted")
        << alg;
  }
}

TEST_F(JwtVerifierTest, RejectsUnsupportedAlgorithms) {
  for (const char* alg : {"HS384", "HS512", "RS512", "PS256", "ES384", "EdDSA", "hs256", ""}) {
    const std::string header = R"({"alg":")" + std::string(alg) + R"("})";
    EXPECT_EQ(rejection(hsToken(claims(), header)),
              "algorithm is not supported; accepted are HS256, RS256 and ES256")
        << alg;
  }
}

TEST_F(JwtVerifierTest, RejectsRs256TokenRewrittenToHs256WithThePublicKeyAsSecret) {
  const std::string header = R"({"alg":"HS256","typ":"JWT","kid":"rsa-1"})";
  auto s = settings();
  s.hs256_secret.clear();
  const auto without_secret = verifierFor(s);
  for (const auto& public_key : {publicKeyPem(rsa_key_), publicKeyDer(rsa_key_),
                                 bignumParam(rsa_key_, OSSL_PKEY_PARAM_RSA_N)}) {
    const auto forged = hsToken(claims(), header, public_key);
    EXPECT_EQ(rejection(without_secret, forged),
              "token was signed with HS256 but no shared secret is configured");
    EXPECT_EQ(rejection(forged), "signature does not verify");
  }
}

TEST_F(JwtVerifierTest, RejectsHs256WhenNoSecretIsConfigured) {
  auto s = settings();
  s.hs256_secret.clear();
  EXPECT_EQ(rejection(verifierFor(s), signHs256(kSecret, claims())),
            "token was signed with HS256 but no shared secret is configured");
}

TEST_F(JwtVerifierTest, RejectsPublicKeyAlgorithmsWhenNoJwksIsConfigured) {
  auto s = settings();
  s.jwks_path.clear();
  const auto verifier = verifierFor(s);
  EXPECT_EQ(rejection(verifier, rsToken(claims(), rsa_key_)),
            "token was signed with RS256 but no public keys are configured");
  EXPECT_EQ(rejection(verifier, esToken(claims(), ec_key_)),
            "token was signed with ES256 but no public keys are configured");
}

// Malformed tokens.

TEST_F(JwtVerifierTest, RejectsTokensThatAreNotThreeParts) {
  const auto token = hsToken(claims());
  const auto split = "token is not three base64url parts separated by dots";
  EXPECT_EQ(rejection(""), split);
  EXPECT_EQ(rejection("abc"), split);
  EXPECT_EQ(rejection(token.substr(0, token.rfind('.'))), split);
  EXPECT_EQ(rejection(token + ".x"), split);
  EXPECT_EQ(rejection(token + "."), split);
}

TEST_F(JwtVerifierTest, RejectsPartsThatAreNotBase64Url) {
  const auto token = hsToken(claims());
  const auto last = token.rfind('.');
  EXPECT_EQ(rejection("*" + token.substr(1)), "token header is not base64url");
  EXPECT_EQ(rejection(token.substr(0, last) + "=" + token.substr(last)),
            "signature does not verify");  // the signature covers the payload text as sent
  EXPECT_EQ(rejection(token + "="), "token signature is not base64url");
  EXPECT_EQ(rejection(token.substr(0, last + 1) + "ab+/"), "token signature is not base64url");

  // A payload that is not base64url but carries a valid signature over its text.
  const auto input = b64url(kHsHeader) + ".e30=";
  EXPECT_EQ(rejection(input + "." + b64url(hmacSha256(kSecret, input))),
            "token payload is not base64url");
}

TEST_F(JwtVerifierTest, RejectsHeaderThatIsNotAJsonObject) {
  for (const char* header : {"", "[]", "\"HS256\"", R"({"alg":"HS256")", "null"}) {
    EXPECT_EQ(rejection(hsToken(claims(), header)), "token header is not a JSON object") << header;
  }
  EXPECT_EQ(rejection(hsToken(claims(), R"({"typ":"JWT"})")), "token header has no alg");
  EXPECT_EQ(rejection(hsToken(claims(), R"({"alg":256})")), "token header has no alg");
}

TEST_F(JwtVerifierTest, RejectsPayloadThatIsNotAJsonObject) {
  for (const char* payload : {"", "[]", "42", R"({"org":"acme")", "{} {}", "\xff"}) {
    EXPECT_EQ(rejection(signHs256(kSecret, payload)), "token payload is not a JSON object")
        << payload;
  }
}

TEST_F(JwtVerifierTest, RejectsRepeatedMemberNames) {
  EXPECT_EQ(rejection(hsToken(claims(), R"({"alg":"HS256","alg":"none"})")),
            "token header repeats a member name");
  EXPECT_EQ(rejection(signHs256(kSecret, claims(R"(,"org":"other")"))),
            "token payload repeats a member name");
}

TEST_F(JwtVerifierTest, RejectsCriticalHeaderExtensions) {
  EXPECT_EQ(rejection(hsToken(claims(), R"({"alg":"HS256","crit":["exp"],"exp":1})")),
            "token header lists critical extensions, which are not supported");
}

TEST_F(JwtVerifierTest, RejectsOversizedTokenBeforeDecoding) {
  const auto padding = "," + std::string(R"("pad":")") + std::string(kMaxTokenLength, 'x') + "\"";
  EXPECT_EQ(rejection(signHs256(kSecret, claims(padding))), "token is longer than 16384 bytes");
}

TEST_F(JwtVerifierTest, DescriptionsNeverEchoTheToken) {
  const auto valid = hsToken(claims());
  const std::vector<std::string> bad = {
      valid + "x",
      "*" + valid,
      hsToken(claims(), R"({"alg":"HS512"})"),
      hsToken(claims(), R"({"alg":"RS256","kid":"who-knows"})"),
      signHs256(kSecret, R"({"org":"acme","exp":1})"),
  };
  for (const auto& token : bad) {
    const auto description = rejection(token);
    EXPECT_NE(description, "accepted");
    for (std::size_t start = 0; start + 8 <= token.size(); start += 8) {
      EXPECT_EQ(description.find(token.substr(start, 8)), std::string::npos) << description;
    }
    EXPECT_EQ(description.find("who-knows"), std::string::npos);
    EXPECT_EQ(description.find("HS512"), std::string::npos);
  }
}

TEST_F(JwtVerifierTest, DescriptionsFitInAWwwAuthenticateErrorDescription) {
  // RFC 6750 3: error_description = *( %x20-21 / %x23-5B / %x5D-7E )
  const auto fits = [](const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
      return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
    });
  };
  std::vector<std::string> descriptions;
  for (const char* header : {"", "Bearer", "Bearer a b", "Basic x", "Bearer\t\"x\""}) {
    descriptions.push_back(std::get<AuthError>(bearerToken(std::string_view(header))).description);
  }
  descriptions.push_back(std::get<AuthError>(bearerToken(std::nullopt)).description);
  for (const auto& token :
       {std::string("a.b"), "*" + hsToken(claims()), hsToken(claims(), R"({"alg":"none"})"),
        hsToken(claims(), R"({"alg":"x\"y"})"), rsToken(claims(), other_rsa_key_),
        hsToken(claims(), R"({"alg":"RS256","kid":"a\"b"})"), signHs256(kSecret, "{}"),
        signHs256(kSecret, R"({"org":"x\"y","exp":1})")}) {
    descriptions.push_back(rejection(token));
    EXPECT_NE(descriptions.back(), "accepted");
  }
  for (const auto& description : descriptions) {
    EXPECT_TRUE(fits(description)) << description;
  }
}

// Validity window: exp, nbf and iat with 30 s of leeway.

TEST_F(JwtVerifierTest, AcceptsTokenUntilExpPlusLeeway) {
  const auto at = [](std::int64_t offset) {
    return signHs256(kSecret, timedClaims("\"exp\":" + std::to_string(kNow + offset)));
  };
  EXPECT_EQ(rejection(at(1)), "accepted");
  EXPECT_EQ(rejection(at(0)), "accepted");
  EXPECT_EQ(rejection(at(-kLeeway + 1)), "accepted");
  EXPECT_EQ(rejection(at(-kLeeway)), "token expired");
  EXPECT_EQ(rejection(at(-kLeeway - 1)), "token expired");
  EXPECT_EQ(rejection(at(-86400)), "token expired");
}

TEST_F(JwtVerifierTest, ComparesFractionalExpExactly) {
  const auto token = signHs256(kSecret, timedClaims(R"("exp":1699999970.5)"));
  EXPECT_EQ(rejection(verifier(), token, kNowPoint), "accepted");
  EXPECT_EQ(rejection(verifier(), token, kNowPoint + std::chrono::milliseconds(499)), "accepted");
  EXPECT_EQ(rejection(verifier(), token, kNowPoint + std::chrono::milliseconds(500)),
            "token expired");
  EXPECT_EQ(rejection(signHs256(kSecret, timedClaims(R"("exp":1699999969.5)"))), "token expired");
}

TEST_F(JwtVerifierTest, AppliesNoSlackWithZeroLeeway) {
  auto s = settings();
  s.leeway = seconds(0);
  const auto verifier = verifierFor(s);
  const auto at = [](std::string_view name, std::int64_t offset) {
    return signHs256(
        kSecret, timedClaims("\"exp\":" + std::to_string(kNow + 600) + ",\"" + std::string(name) +
                             "\":" + std::to_string(kNow + offset)));
  };
  EXPECT_EQ(rejection(verifier, signHs256(kSecret, timedClaims("\"exp\":" + std::to_string(kNow)))),
            "token expired");
  EXPECT_EQ(rejection(verifier, at("nbf", 0)), "accepted");
  EXPECT_EQ(rejection(verifier, at("nbf", 1)), "token is not valid yet (nbf is in the future)");
  EXPECT_EQ(rejection(verifier, at("iat", 0)), "accepted");
  EXPECT_EQ(rejection(verifier, at("iat", 1)), "token was issued in the future (iat)");
}

TEST_F(JwtVerifierTest, RequiresExpAsANumber) {
  EXPECT_EQ(rejection(signHs256(kSecret, R"({"org":"acme"})")), "token has no exp claim");
  for (const char* exp : {R"("1700000600")", "null", "true", "[1700000600]"}) {
    EXPECT_EQ(rejection(signHs256(kSecret, timedClaims("\"exp\":" + std::string(exp)))),
              "exp must be a number")
        << exp;
  }
}

TEST_F(JwtVerifierTest, AcceptsNbfUpToLeewayInTheFuture) {
  const auto at = [](std::int64_t offset) {
    return signHs256(kSecret, claims(",\"nbf\":" + std::to_string(kNow + offset)));
  };
  EXPECT_EQ(rejection(at(-3600)), "accepted");
  EXPECT_EQ(rejection(at(0)), "accepted");
  EXPECT_EQ(rejection(at(kLeeway)), "accepted");
  EXPECT_EQ(rejection(at(kLeeway + 1)), "token is not valid yet (nbf is in the future)");
  EXPECT_EQ(rejection(signHs256(kSecret, claims(R"(,"nbf":1700000029.75)"))), "accepted");
  EXPECT_EQ(rejection(signHs256(kSecret, claims(R"(,"nbf":1700000030.25)"))),
            "token is not valid yet (nbf is in the future)");
}

TEST_F(JwtVerifierTest, AcceptsIatUpToLeewayInTheFuture) {
  const auto at = [](std::int64_t offset) {
    return signHs256(kSecret, claims(",\"iat\":" + std::to_string(kNow + offset)));
  };
  EXPECT_EQ(rejection(at(-86400)), "accepted");
  EXPECT_EQ(rejection(at(kLeeway)), "accepted");
  EXPECT_EQ(rejection(at(kLeeway + 1)), "token was issued in the future (iat)");
}

TEST_F(JwtVerifierTest, RejectsNonNumericNbfAndIat) {
  EXPECT_EQ(rejection(signHs256(kSecret, claims(R"(,"nbf":"soon")"))), "nbf must be a number");
  EXPECT_EQ(rejection(signHs256(kSecret, claims(R"(,"iat":false)"))), "iat must be a number");
}

// Issuer and audience.

TEST_F(JwtVerifierTest, ChecksIssuerOnlyWhenConfigured) {
  const auto token = [](std::string_view extra) { return signHs256(kSecret, claims(extra)); };
  EXPECT_EQ(rejection(token(R"(,"iss":"anyone")")), "accepted");

  auto s = settings();
  s.issuer = "https://issuer.example";
  const auto verifier = verifierFor(s);
  EXPECT_EQ(rejection(verifier, token(R"(,"iss":"https://issuer.example")")), "accepted");
  EXPECT_EQ(rejection(verifier, token("")), "token has no iss claim");
  EXPECT_EQ(rejection(verifier, token(R"(,"iss":"https://other.example")")),
            "token issuer does not match");
  EXPECT_EQ(rejection(verifier, token(R"(,"iss":["https://issuer.example"])")),
            "token issuer does not match");
}

TEST_F(JwtVerifierTest, ChecksAudienceAsStringOrArrayWhenConfigured) {
  const auto token = [](std::string_view extra) { return signHs256(kSecret, claims(extra)); };
  EXPECT_EQ(rejection(token(R"(,"aud":"elsewhere")")), "accepted");

  auto s = settings();
  s.audience = "deployment-ledger";
  const auto verifier = verifierFor(s);
  EXPECT_EQ(rejection(verifier, token(R"(,"aud":"deployment-ledger")")), "accepted");
  EXPECT_EQ(rejection(verifier, token(R"(,"aud":["other","deployment-ledger"])")), "accepted");
  EXPECT_EQ(rejection(verifier, token("")), "token has no aud claim");
  EXPECT_EQ(rejection(verifier, token(R"(,"aud":"deployment-ledger-2")")),
            "token audience does not match");
  EXPECT_EQ(rejection(verifier, token(R"(,"aud":[])")), "token audience does not match");
  EXPECT_EQ(rejection(verifier, token(R"(,"aud":["other"])")), "token audience does not match");
  EXPECT_EQ(rejection(verifier, token(R"(,"aud":["deployment-ledger",7])")),
            "aud must be a string or an array of strings");
  EXPECT_EQ(rejection(verifier, token(R"(,"aud":{"deployment-ledger":true})")),
            "aud must be a string or an array of strings");
}

// The principal's claims.

TEST_F(JwtVerifierTest, RequiresNonEmptyOrg) {
  const auto exp = ",\"exp\":" + std::to_string(kNow + 600) + "}";
  EXPECT_EQ(rejection(signHs256(kSecret, R"({"sub":"x")" + exp)), "token has no org claim");
  for (const char* org : {R"("")", "7", "null", R"(["acme"])"}) {
    EXPECT_EQ(rejection(signHs256(kSecret, "{\"org\":" + std::string(org) + exp)),
              "org must be a non-empty string")
        << org;
  }
}

TEST_F(JwtVerifierTest, LeavesSubjectEmptyWhenAbsentAndRejectsNonString) {
  EXPECT_EQ(
      accepted(signHs256(kSecret, timedClaims("\"exp\":" + std::to_string(kNow + 1)))).subject, "");
  EXPECT_EQ(rejection(signHs256(kSecret, timedClaims(R"("sub":42,"exp":1700000600)"))),
            "sub must be a string");
}

TEST_F(JwtVerifierTest, SplitsScopeAtSpaces) {
  const auto principal = accepted(signHs256(
      kSecret, timedClaims(R"("exp":1700000600,"scope":" deployments:write  deployments:read ")")));
  EXPECT_EQ(principal.scopes, (std::vector<std::string>{"deployments:write", "deployments:read"}));
  EXPECT_TRUE(principal.hasScope("deployments:read"));
  EXPECT_FALSE(principal.hasScope("deployments"));
  EXPECT_FALSE(principal.hasScope("deployments:write deployments:read"));
}

TEST_F(JwtVerifierTest, GrantsNoScopesWhenScopeIsAbsent) {
  const auto principal = accepted(signHs256(kSecret, timedClaims(R"("exp":1700000600)")));
  EXPECT_TRUE(principal.scopes.empty());
  EXPECT_FALSE(principal.hasScope("deployments:write"));
}

TEST_F(JwtVerifierTest, RejectsScopeThatIsNotAString) {
  EXPECT_EQ(rejection(signHs256(kSecret,
                                timedClaims(R"("exp":1700000600,"scope":["deployments:write"])"))),
            "scope must be a string of space-separated scopes");
}

TEST_F(JwtVerifierTest, AllowsEveryEnvironmentWhenTheClaimIsAbsent) {
  const auto principal = accepted(signHs256(kSecret, claims()));
  EXPECT_FALSE(principal.environments.has_value());
  EXPECT_TRUE(principal.mayWriteEnvironment("prod"));
  EXPECT_TRUE(principal.mayWriteEnvironment("staging"));
}

TEST_F(JwtVerifierTest, AllowsOnlyListedEnvironmentsWhenTheClaimIsPresent) {
  const auto principal =
      accepted(signHs256(kSecret, claims(R"(,"environments":["staging","qa"])")));
  ASSERT_TRUE(principal.environments.has_value());
  EXPECT_EQ(*principal.environments, (std::vector<std::string>{"staging", "qa"}));
  EXPECT_TRUE(principal.mayWriteEnvironment("staging"));
  EXPECT_TRUE(principal.mayWriteEnvironment("qa"));
  EXPECT_FALSE(principal.mayWriteEnvironment("prod"));
  EXPECT_FALSE(principal.mayWriteEnvironment("stag"));

  const auto none = accepted(signHs256(kSecret, claims(R"(,"environments":[])")));
  ASSERT_TRUE(none.environments.has_value());
  EXPECT_FALSE(none.mayWriteEnvironment("staging"));
}

TEST_F(JwtVerifierTest, RejectsEnvironmentsThatAreNotAnArrayOfStrings) {
  for (const char* value : {R"("prod")", R"(["prod",1])", "null", R"({"prod":true})"}) {
    EXPECT_EQ(rejection(signHs256(kSecret, claims(",\"environments\":" + std::string(value)))),
              "environments must be an array of strings")
        << value;
  }
}

TEST_F(JwtVerifierTest, VerifiesConcurrentlyFromSeveralThreads) {
  const auto& shared = verifier();
  const std::vector<std::string> tokens = {hsToken(claims()), rsToken(claims(), rsa_key_),
                                           esToken(claims(), ec_key_),
                                           rsToken(claims(), other_rsa_key_)};
  std::atomic<int> accepted_count{0};
  std::atomic<int> rejected_count{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        for (const auto& token : tokens) {
          const auto result = shared.verify(token, kNowPoint);
          (std::holds_alternative<Principal>(result) ? accepted_count : rejected_count)++;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(accepted_count.load(), 4 * 50 * 3);
  EXPECT_EQ(rejected_count.load(), 4 * 50);
}

// Settings and JWKS problems stop create().

TEST_F(JwtVerifierTest, CreateRequiresASecretOrAJwksFile) {
  VerifierSettings s;
  EXPECT_EQ(createError(s),
            "neither an HS256 shared secret nor a JWKS file is configured; set at least one");
}

TEST_F(JwtVerifierTest, CreateRejectsShortSecretAndNegativeLeeway) {
  VerifierSettings s;
  s.hs256_secret = std::string(31, 's');
  EXPECT_EQ(createError(s), "the HS256 shared secret has 31 bytes; it needs at least 32");
  s.hs256_secret = std::string(32, 's');
  EXPECT_EQ(createError(s), "");
  s.leeway = seconds(-1);
  EXPECT_EQ(createError(s), "the leeway must not be negative");
}

TEST_F(JwtVerifierTest, CreateNamesUnreadableOrMalformedJwksFiles) {
  auto s = settings();
  s.jwks_path = "/nonexistent/jwks.json";
  EXPECT_EQ(createError(s),
            "JWKS file \"/nonexistent/jwks.json\" cannot be opened: No such file or directory");
  EXPECT_NE(createErrorForJwks("{\"keys\": [").find("is not JSON: "), std::string::npos);
  EXPECT_NE(createErrorForJwks("[]").find("is not a JWKS"), std::string::npos);
  EXPECT_NE(createErrorForJwks(R"({"keys":{}})").find("is not a JWKS"), std::string::npos);
  EXPECT_NE(createErrorForJwks(R"({"keys":[]})").find("holds no keys"), std::string::npos);
  EXPECT_NE(createErrorForJwks(R"({"keys":[42]})").find("key 0 is not an object"),
            std::string::npos);
}

TEST_F(JwtVerifierTest, CreateRejectsKeysWithoutOrWithRepeatedKid) {
  const auto without_kid = jwks({R"({"kty":"RSA","n":"AQAB","e":"AQAB"})"});
  EXPECT_NE(createErrorForJwks(without_kid).find("key 0 has no kid"), std::string::npos);
  const auto repeated = jwks({rsaJwk(rsa_key_, "k"), ecJwk(ec_key_, "k")});
  EXPECT_NE(createErrorForJwks(repeated).find("key 1 repeats kid \"k\""), std::string::npos);
}

TEST_F(JwtVerifierTest, CreateRejectsUnsupportedKtyCrvAndAlg) {
  const auto error = [this](const std::string& jwk) { return createErrorForJwks(jwks({jwk})); };
  EXPECT_NE(error(R"({"kty":"oct","kid":"s"})").find("kty \"oct\" is not supported"),
            std::string::npos);
  EXPECT_NE(error(R"({"kty":"OKP","kid":"e","crv":"Ed25519","x":"AA"})").find("kty \"OKP\""),
            std::string::npos);
  EXPECT_NE(error(R"({"kid":"x"})").find("has no kty"), std::string::npos);
  EXPECT_NE(error(R"({"kty":"EC","kid":"e","crv":"P-384","x":"AA","y":"AA"})")
                .find("crv \"P-384\" is not supported"),
            std::string::npos);
  EXPECT_NE(error(rsaJwk(rsa_key_, "r", R"(,"alg":"RS512")")).find("alg \"RS512\""),
            std::string::npos);
  EXPECT_NE(error(rsaJwk(rsa_key_, "r", R"(,"alg":"HS256")")).find("expected RS256"),
            std::string::npos);
  EXPECT_NE(error(ecJwk(ec_key_, "e", R"(,"alg":"RS256")")).find("expected ES256"),
            std::string::npos);
  EXPECT_NE(error(rsaJwk(rsa_key_, "r", R"(,"alg":null)")).find("alg must be a string"),
            std::string::npos);
}

TEST_F(JwtVerifierTest, CreateRejectsKeysNotMeantForVerification) {
  const auto enc = jwks({R"({"kty":"RSA","kid":"r","use":"enc","n":"AQAB","e":"AQAB"})"});
  EXPECT_NE(createErrorForJwks(enc).find("use must be \"sig\""), std::string::npos);
  const auto secret = jwks({ecJwk(ec_key_, "e", R"(,"d":"AAAA")")});
  EXPECT_NE(createErrorForJwks(secret).find("holds private key material"), std::string::npos);
}

TEST_F(JwtVerifierTest, CreateRejectsWeakOrInvalidKeys) {
  EVP_PKEY* weak = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024));
  ASSERT_NE(weak, nullptr);
  EXPECT_NE(createErrorForJwks(jwks({rsaJwk(weak, "weak")}))
                .find("the RSA modulus has 1024 bits; RS256 needs at least 2048"),
            std::string::npos);
  EVP_PKEY_free(weak);

  auto y = bignumParam(ec_key_, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
  y.back() ^= 0x01;
  EXPECT_NE(
      createErrorForJwks(jwks({ecJwk(ec_key_, "off-curve", "", y)})).find("cannot be imported"),
      std::string::npos);
  EXPECT_NE(createErrorForJwks(jwks({R"({"kty":"EC","kid":"e","crv":"P-256","x":"AA","y":"AA"})"}))
                .find("x and y must be base64url strings of 32 bytes each"),
            std::string::npos);
  EXPECT_NE(createErrorForJwks(jwks({R"({"kty":"RSA","kid":"r","n":"A+B","e":"AQAB"})"}))
                .find("n and e must be non-empty base64url strings"),
            std::string::npos);
}

TEST_F(JwtVerifierTest, ListsTheKeyIdsOfTheJwksFile) {
  EXPECT_EQ(verifier().keyIds(), (std::vector<std::string>{"rsa-1", "ec-1"}));
}

// The Authorization header.

TEST_F(JwtVerifierTest, ExtractsTheTokenFromABearerHeaderInAnyCase) {
  for (const char* header : {"Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER abc.def.ghi"}) {
    const auto token = bearerToken(std::string_view(header));
    ASSERT_TRUE(std::holds_alternative<std::string_view>(token)) << header;
    EXPECT_EQ(std::get<std::string_view>(token), "abc.def.ghi");
  }
  EXPECT_EQ(std::get<std::string_view>(bearerToken("Bearer a-b_c~d+e/f==")), "a-b_c~d+e/f==");
}

TEST_F(JwtVerifierTest, ReportsNoCredentialsWithoutABearerHeader) {
  const auto missing = bearerToken(std::nullopt);
  ASSERT_TRUE(std::holds_alternative<AuthError>(missing));
  EXPECT_EQ(std::get<AuthError>(missing).error, "");
  for (const char* header : {"Basic dXNlcjpwYXNz", "Digest username=x", "Token abc"}) {
    const auto other = bearerToken(std::string_view(header));
    ASSERT_TRUE(std::holds_alternative<AuthError>(other)) << header;
    EXPECT_EQ(std::get<AuthError>(other).error, "") << header;
  }
}

TEST_F(JwtVerifierTest, RejectsMalformedBearerHeadersAsInvalidRequest) {
  for (const char* header :
       {"", " Bearer abc", "Bearer", "Bearer ", "Bearer  abc", "Bearer abc ", "Bearer abc def",
        "Bearer\tabc", "Bearer abc\r\n", "Bearer ==", "Bearer a=b", "Bearer \"abc\""}) {
    const auto result = bearerToken(std::string_view(header));
    ASSERT_TRUE(std::holds_alternative<AuthError>(result)) << '"' << header << '"';
    EXPECT_EQ(std::get<AuthError>(result).error, "invalid_request") << '"' << header << '"';
  }
}

// Base64url.

TEST_F(JwtVerifierTest, Base64UrlRoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>((i * 37 + 11) & 0xff));
    const auto encoded = base64UrlEncode(bytes);
    EXPECT_EQ(encoded, b64url(bytes));
    EXPECT_EQ(base64UrlDecode(encoded), bytes);
  }
  EXPECT_EQ(base64UrlEncode(""), "");
  EXPECT_EQ(base64UrlDecode(""), "");
}

TEST_F(JwtVerifierTest, Base64UrlRejectsPaddingForeignCharactersAndLooseBits) {
  EXPECT_EQ(base64UrlDecode("_-8"), std::string("\xff\xef"));
  EXPECT_FALSE(base64UrlDecode("QQ=="));  // padding
  EXPECT_FALSE(base64UrlDecode("a+b/"));  // the standard alphabet
  EXPECT_FALSE(base64UrlDecode("ab cd"));
  EXPECT_FALSE(base64UrlDecode(std::string("ab\0d", 4)));
  EXPECT_FALSE(base64UrlDecode("abcde"));  // a lone sixth bit group
  EXPECT_EQ(base64UrlDecode("QQ"), "A");
  EXPECT_FALSE(base64UrlDecode("QR"));  // non-zero unused bits: a second spelling of "A"
}

// The token tool.

struct ToolRun {
  int status = -1;
  std::string out;
};

ToolRun runTokenTool(const std::string& arguments) {
  ToolRun run;
  const std::string command = std::string(LEDGER_TOKEN_TOOL) + " " + arguments + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return run;
  }
  char buffer[4096];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    run.out.append(buffer, count);
  }
  const int status = ::pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST_F(JwtVerifierTest, TokenToolPrintsATokenTheVerifierAccepts) {
  const auto secret_file = writeFile(std::string(kSecret) + "\n");
  const auto run = runTokenTool("--secret-file=" + secret_file +
                                " --org=acme --scope='deployments:write deployments:read'"
                                " --environments=staging,prod --subject=alice --ttl=120"
                                " --issuer=local --audience=deployment-ledger");
  ASSERT_EQ(run.status, 0);
  ASSERT_FALSE(run.out.empty());
  EXPECT_EQ(run.out.back(), '\n');
  EXPECT_EQ(run.out.find('\n'), run.out.size() - 1);
  const auto token = run.out.substr(0, run.out.size() - 1);

  auto s = settings();
  s.issuer = "local";
  s.audience = "deployment-ledger";
  const auto verifier = verifierFor(s);
  const auto now = std::chrono::system_clock::now();
  const auto principal = accepted(verifier, token, now);
  EXPECT_EQ(principal.organization, "acme");
  EXPECT_EQ(principal.subject, "alice");
  EXPECT_EQ(principal.scopes, (std::vector<std::string>{"deployments:write", "deployments:read"}));
  EXPECT_EQ(principal.environments, (std::vector<std::string>{"staging", "prod"}));
  EXPECT_EQ(rejection(verifier, token, now + seconds(120 + kLeeway + 5)), "token expired");
}

TEST_F(JwtVerifierTest, TokenToolDefaultsToADevToken) {
  const auto run = runTokenTool("--secret-file=" + writeFile(kSecret));
  ASSERT_EQ(run.status, 0);
  const auto principal =
      accepted(verifier(), run.out.substr(0, run.out.size() - 1), std::chrono::system_clock::now());
  EXPECT_EQ(principal.organization, "dev");
  EXPECT_EQ(principal.subject, "local-user");
  EXPECT_TRUE(principal.hasScope("deployments:write"));
  EXPECT_FALSE(principal.environments.has_value());
}

TEST_F(JwtVerifierTest, TokenToolFailsWithoutAUsableSecret) {
  EXPECT_EQ(runTokenTool("").status, 2);
  EXPECT_EQ(runTokenTool("").out, "");
  EXPECT_EQ(runTokenTool("--secret-file=/nonexistent/secret").status, 2);
  EXPECT_EQ(runTokenTool("--secret-file=" + writeFile("short\n")).status, 2);
  EXPECT_EQ(runTokenTool("--secret-file=" + writeFile(kSecret) + " --environments=Prod").status, 2);
  EXPECT_EQ(runTokenTool("--secret-file=" + writeFile(kSecret) + " --ttl=0").status, 2);
}

}  // namespace
}  // namespace ledger::auth
