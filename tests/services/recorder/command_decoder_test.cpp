#include "services/recorder/command_decoder.h"

#include <gtest/gtest.h>

namespace ledger::recorder {
namespace {

const std::string kBody =
    R"({"environment_name":"prod","deployment_name":"api","logical_environment_name":"p",)"
    R"("artifact_digest":"sha256:)" +
    std::string(64, 'e') + "\"}";

RawMessage validMessage() {
  RawMessage m;
  m.key = "prod/api";
  m.value = kBody;
  m.envelope.spec_version = "1.0";
  m.envelope.id = "42";
  m.envelope.source = "//pipeline";
  m.envelope.type = std::string(command::kRecordDeploymentType);
  m.envelope.organization = "acme";
  return m;
}

TEST(CommandDecoderTest, DecodesValidCommandWithItsIdentity) {
  const auto outcome = decodeCommand(validMessage());
  ASSERT_TRUE(outcome.command.has_value()) << outcome.fault;
  EXPECT_EQ(outcome.command->source, "//pipeline");
  EXPECT_EQ(outcome.command->id, "42");
  EXPECT_EQ(outcome.command->organization, "acme");
  EXPECT_EQ(outcome.command->request.deployment_name, "api");
  EXPECT_FALSE(outcome.command->reply_to.has_value());
}

TEST(CommandDecoderTest, ClassifiesEachKindOfPoison) {
  auto m = validMessage();
  m.envelope.type.reset();
  EXPECT_EQ(decodeCommand(m).reason, PoisonReason::kInvalidEnvelope);

  m = validMessage();
  const std::string huge(command::kMaxValueBytes + 1, ' ');
  m.value = huge;
  EXPECT_EQ(decodeCommand(m).reason, PoisonReason::kValueTooLarge);

  m = validMessage();
  m.value = "{nope";
  EXPECT_EQ(decodeCommand(m).reason, PoisonReason::kInvalidJson);

  m = validMessage();
  m.value = R"({"environment_name":"prod"})";
  const auto invalid = decodeCommand(m);
  EXPECT_EQ(invalid.reason, PoisonReason::kInvalidCommand);
  EXPECT_NE(invalid.fault.find("deployment_name: is required"), std::string::npos);

  m = validMessage();
  m.key = "prod/other";
  EXPECT_EQ(decodeCommand(m).reason, PoisonReason::kKeyMismatch);
  m.key.reset();
  EXPECT_EQ(decodeCommand(m).reason, PoisonReason::kKeyMismatch);
}

TEST(CommandDecoderTest, PoisonCodesAreStable) {
  EXPECT_EQ(toCode(PoisonReason::kInvalidEnvelope), "INVALID_ENVELOPE");
  EXPECT_EQ(toCode(PoisonReason::kRejected), "REJECTED");
}

}  // namespace
}  // namespace ledger::recorder
