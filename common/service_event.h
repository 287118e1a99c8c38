// The events the ledger emits for subscribers: which CDEvents type a change is, and the event's
// JSON (a CDEvents 0.5 event, carried as the value of a CloudEvent in binary content mode).
// Pure functions, no Kafka types, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/deployment.h"
#include "common/record_transition.h"

namespace ledger {

enum class EventKind { kNone, kDeployed, kUpgraded, kRolledBack, kRemoved };

inline constexpr std::string_view kEventSource = "/deployment-ledger/recorder";
inline constexpr std::string_view kSubjectSource = "/deployment-ledger";
inline constexpr std::string_view kCdEventsSpecVersion = "0.5.0";

// "dev.cdevents.service.deployed.0.3.0" and so on; empty for kNone.
std::string_view cdEventType(EventKind kind);

// The event a planned change emits. held_before says whether the requested digest has held the
// slot before (which turns a supersession into a rollback).
EventKind classifyChange(const TransitionPlan& plan, bool held_before);

// A package URL for the artifact: pkg:oci/<name>@<digest> with repository_url and tag qualifiers
// for container images, pkg:generic/<name>@<version>?checksum=<digest> otherwise.
std::string artifactPurl(const Artifact& artifact);

// Names the record a supersession replaced and the one that replaced it.
struct Supersession {
  std::string superseded_record_id;
  std::string superseded_artifact_digest;
  std::string replacing_record_id;
};

struct ServiceEvent {
  EventKind kind = EventKind::kNone;
  std::string id;            // stable for the change: "<record id>:<revision>"
  std::string organization;  // the slot's organization: equal slot names elsewhere are unrelated
  DeploymentRecord record;
  std::optional<Supersession> supersession;  // upgraded and rolledback only
};

std::string eventId(const std::string& record_id, int revision);

// The CDEvent JSON: context, subject (the slot, its environment and, unless removed, its
// artifact), and customData with the organization,
// holding the record in the API's shape and, for supersessions, what replaced what.
std::string encodeServiceEvent(const ServiceEvent& event);

}  // namespace ledger
