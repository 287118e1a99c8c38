#include "common/deployment.h"

#include <array>
#include <utility>

namespace ledger {
namespace {

constexpr std::array<std::pair<ArtifactKind, std::string_view>, 3> kKindNames{{
    {ArtifactKind::kUnspecified, "ARTIFACT_KIND_UNSPECIFIED"},
    {ArtifactKind::kContainerImage, "CONTAINER_IMAGE"},
    {ArtifactKind::kHelmChart, "HELM_CHART"},
}};

constexpr std::array<std::pair<DeploymentStatus, std::string_view>, 4> kStatusNames{{
    {DeploymentStatus::kUnspecified, "DEPLOYMENT_STATUS_UNSPECIFIED"},
    {DeploymentStatus::kDeployed, "DEPLOYED"},
    {DeploymentStatus::kDecommissioned, "DECOMMISSIONED"},
    {DeploymentStatus::kSuperseded, "SUPERSEDED"},
}};

template <typename Enum, std::size_t N>
std::string_view nameOf(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum value) {
  for (const auto& [candidate, name] : table) {
    if (candidate == value) {
      return name;
    }
  }
  return table.front().second;
}

template <typename Enum, std::size_t N>
std::optional<Enum> valueOf(const std::array<std::pair<Enum, std::string_view>, N>& table,
                            std::string_view name) {
  for (const auto& [value, candidate] : table) {
    if (candidate == name) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view toWireName(ArtifactKind kind) { return nameOf(kKindNames, kind); }
std::string_view toWireName(DeploymentStatus status) { return nameOf(kStatusNames, status); }

std::optional<ArtifactKind> parseArtifactKind(std::string_view name) {
  return valueOf(kKindNames, name);
}

std::optional<DeploymentStatus> parseDeploymentStatus(std::string_view name) {
  return valueOf(kStatusNames, name);
}

}  // namespace ledger
