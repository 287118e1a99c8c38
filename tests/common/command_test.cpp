#include "common/command.h"
#include "common/deployment.h"

#include <gtest/gtest.h>

namespace ledger::command {
namespace {

Envelope validEnvelope() {
  Envelope e;
  e.spec_version = "1.0";
  e.id = "1";
  e.source = "//ci/pipeline";
  e.type = std::string(kRecordDeploymentType);
  e.organization = "acme";
  return e;
}

TEST(CommandTest, AcceptsCompleteEnvelope) {
  EXPECT_EQ(describeEnvelopeFault(validEnvelope()), "");
}

TEST(CommandTest, NamesMissingHeader) {
  auto e = validEnvelope();
  e.source.reset();
  EXPECT_EQ(describeEnvelopeFault(e), "missing header ce_source");
  e = validEnvelope();
  e.id = "";
  EXPECT_EQ(describeEnvelopeFault(e), "missing header ce_id");
}

TEST(CommandTest, RejectsOtherSpecVersionsAndTypes) {
  auto e = validEnvelope();
  e.spec_version = "0.3";
  EXPECT_NE(describeEnvelopeFault(e).find("ce_specversion"), std::string::npos);
  e = validEnvelope();
  e.type = "com.example.other";
  EXPECT_NE(describeEnvelopeFault(e).find("ce_type"), std::string::npos);
}

TEST(CommandTest, RequiresAnOrganizationLabel) {
  auto e = validEnvelope();
  e.organization.reset();
  EXPECT_EQ(describeEnvelopeFault(e), "missing header ledger_organization");
  e.organization = "Acme Corp";
  EXPECT_NE(describeEnvelopeFault(e), "");
}

TEST(CommandTest, RequiresReplyHeadersTogether) {
  auto e = validEnvelope();
  e.reply_to = "ledger_reply_x";
  EXPECT_NE(describeEnvelopeFault(e), "");
  e.correlation_id = "c0ffee";
  EXPECT_EQ(describeEnvelopeFault(e), "");
}

TEST(CommandTest, RejectsReplyRoutingThatCouldNotBeDelivered) {
  auto e = validEnvelope();
  e.reply_to = "some_other_channel";
  e.correlation_id = "c0ffee";
  EXPECT_NE(describeEnvelopeFault(e).find("ledger_reply_to"), std::string::npos);
  e.reply_to = "ledger_reply_x";
  for (const std::string& bad :
       std::vector<std::string>{"", "C0FFEE", "abc\ndef", std::string(65, 'a')}) {
    e.correlation_id = bad;
    EXPECT_NE(describeEnvelopeFault(e).find("ledger_correlation_id"), std::string::npos) << bad;
  }
}

TEST(CommandTest, SlotKeyJoinsEnvironmentAndDeployment) {
  EXPECT_EQ((ledger::Slot{"prod", "api"}.key()), "prod/api");
}

}  // namespace
}  // namespace ledger::command
