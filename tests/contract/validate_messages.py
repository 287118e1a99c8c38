#!/usr/bin/env python3
"""Validates Kafka messages of the deployment ledger against schemas/messages/.

    validate_messages.py SCHEMA_DIR MESSAGES.jsonl   exit 0 when every message is valid, 1 if
                                                     any is not, 2 on bad usage or if a schema
                                                     or the messages file cannot be read
    validate_messages.py --self-test [SCHEMA_DIR]    builds valid messages in memory, checks
                                                     they pass, then mutates them and checks
                                                     that every mutation is reported
SCHEMA_DIR defaults to <repo>/schemas/messages in the self-test.

Each line of MESSAGES.jsonl is one consumed message:
    {"topic": "...", "key": "...", "headers": {"name": "value", ...}, "value": "<raw value>"}
The ce_type header picks the schemas: the record-deployment command type selects
record-deployment-command.schema.json and command-headers.schema.json; a type
dev.cdevents.service.<predicate>.0.3.0 selects service-<predicate>-event.schema.json and
event-headers.schema.json. The value is parsed as JSON (duplicate keys and NaN/Infinity are
faults) and validated together with the headers. Then the fields that repeat each other must
agree:
  * commands: key == "<environment_name>/<deployment_name>" of the value; ce_id and ce_source
    are at most 512 bytes of UTF-8;
  * events: ce_id, ce_type, ce_source and ce_time equal context.id, .type, .source and
    .timestamp; key == subject.id == ce_subject == ce_partitionkey == "<environment_name>/
    <deployment_name>" of customData.deployment_record; subject.content.environment.id equals the
    record's environment_name; context.timestamp equals the record's updated_at; context.id is
    "<record id>:<revision>"; supersession.replacing_record_id is the record's id and
    superseded_record_id is another one; the digest inside subject.content.artifactId is the
    record's artifact digest.
A message on the topic deployments.commands must be a command and one on deployments.events an
event; other topic names are not checked.

Prints one line per fault, "line N: ...", and finally "messages: N valid" when there is none.
Works with the jsonschema package from 4.10 (Debian 12: python3-jsonschema, which resolves
$refs with RefResolver) up to current versions (which use the referencing package); $refs
between the schema files are resolved from SCHEMA_DIR only, never fetched. Patterns are applied
with ECMA-262's meaning of '$' (end of input), which Python's re would otherwise also let match
before a final newline.
"""

import copy
import json
import os
import re
import sys
import urllib.parse

try:
    import jsonschema
    from jsonschema import Draft202012Validator, FormatChecker, validators
    from jsonschema.exceptions import ValidationError, best_match
except ImportError:  # pragma: no cover - depends on the machine
    sys.stderr.write("validate_messages.py needs the jsonschema package "
                     "(Debian: apt-get install -y python3-jsonschema)\n")
    sys.exit(2)

try:  # jsonschema >= 4.18
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
except ImportError:  # jsonschema 4.10 (Debian 12): RefResolver
    Registry = None

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_SCHEMA_DIR = os.path.join(REPO, "schemas", "messages")

COMMAND_TYPE = "dev.deployment-ledger.command.record-deployment.v1"
COMMANDS_TOPIC = "deployments.commands"
EVENTS_TOPIC = "deployments.events"
PREDICATES = ("deployed", "upgraded", "rolledback", "removed")
EVENT_SCHEMAS = {
    "dev.cdevents.service.%s.0.3.0" % p: "service-%s-event.schema.json" % p for p in PREDICATES
}
COMMAND_SCHEMA = "record-deployment-command.schema.json"
COMMAND_HEADERS_SCHEMA = "command-headers.schema.json"
EVENT_HEADERS_SCHEMA = "event-headers.schema.json"
MAX_ATTRIBUTE_BYTES = 512
MAX_MESSAGE_CHARS = 300


# --- ECMA-262 patterns -------------------------------------------------------------------------

_ECMA_CACHE = {}


def ecma_regex(pattern):
    """Compiles a JSON Schema pattern so that '$' outside a character class means the end of
    the input, as in ECMA-262 (Python's '$' also matches before a trailing newline)."""
    compiled = _ECMA_CACHE.get(pattern)
    if compiled is None:
        out = []
        in_class = False
        i = 0
        while i < len(pattern):
            c = pattern[i]
            if c == "\\":  # an escape: copy it with the escaped character
                out.append(pattern[i:i + 2])
                i += 2
                continue
            if in_class:
                in_class = c != "]"
            elif c == "[":
                in_class = True
            elif c == "$":
                c = r"\Z"
            out.append(c)
            i += 1
        compiled = re.compile("".join(out))
        _ECMA_CACHE[pattern] = compiled
    return compiled


def _pattern_keyword(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield ValidationError("%r does not match %r" % (instance, pattern))


Validator = validators.extend(Draft202012Validator, {"pattern": _pattern_keyword})


# --- schemas -----------------------------------------------------------------------------------

class SchemaError(Exception):
    pass


def _refuse_fetch(uri):
    raise jsonschema.RefResolutionError(
        "not fetching %s: a $ref must name a file of the schema directory" % uri)


class Schemas:
    """The schema files of a directory, each checked against the 2020-12 meta-schema, with
    validators whose $refs resolve among these files only."""

    def __init__(self, directory):
        self.directory = directory
        self.documents = {}
        try:
            names = sorted(n for n in os.listdir(directory) if n.endswith(".json"))
        except OSError as error:
            raise SchemaError("cannot read schema directory %s: %s" % (directory, error))
        for name in names:
            path = os.path.join(directory, name)
            try:
                with open(path, encoding="utf-8") as f:
                    document = json.load(f)
                Draft202012Validator.check_schema(document)
            except (OSError, ValueError) as error:
                raise SchemaError("cannot read schema %s: %s" % (path, error))
            except jsonschema.SchemaError as error:
                raise SchemaError("%s is not a valid JSON Schema: %s" % (path, error.message))
            self.documents[name] = document
        needed = [COMMAND_SCHEMA, COMMAND_HEADERS_SCHEMA, EVENT_HEADERS_SCHEMA]
        needed += list(EVENT_SCHEMAS.values())
        missing = [n for n in needed if n not in self.documents]
        if missing:
            raise SchemaError("missing in %s: %s" % (directory, ", ".join(missing)))

        # Every document under its file URI and under its $id, so that relative $refs work
        # whether or not a document declares an $id.
        self._uris = {}
        for name, document in self.documents.items():
            file_uri = "file://" + urllib.parse.quote(
                os.path.join(os.path.abspath(directory), name))
            self._uris[name] = [document.get("$id", file_uri), file_uri]
        if Registry is not None:
            resources = []
            for name, document in self.documents.items():
                resource = Resource.from_contents(document, default_specification=DRAFT202012)
                resources += [(uri, resource) for uri in self._uris[name]]
            self._registry = Registry().with_resources(resources)
        else:
            self._store = {}
            for name, document in self.documents.items():
                for uri in self._uris[name]:
                    self._store[uri] = document
        self._validators = {name: self._make(name) for name in needed}

    def _make(self, name):
        document = self.documents[name]
        if Registry is not None:
            return Validator(document, registry=self._registry, format_checker=FormatChecker())
        resolver = jsonschema.RefResolver(base_uri=self._uris[name][0], referrer=document,
                                          store=dict(self._store),
                                          handlers={s: _refuse_fetch for s in ("http", "https")})
        return Validator(document, resolver=resolver, format_checker=FormatChecker())

    def errors(self, name, instance):
        """One text per fault: '<json pointer>: <message>'."""
        out = []
        try:
            found = sorted(self._validators[name].iter_errors(instance),
                           key=lambda e: [str(p) for p in e.absolute_path])
        except Exception as error:  # an unresolvable $ref: the schemas are at fault
            raise SchemaError("%s: cannot resolve a $ref: %s" % (name, error))
        for error in found:
            if error.context:  # anyOf/oneOf: report the branch that came closest
                error = best_match(error.context)
            where = "".join("/" + str(p) for p in error.absolute_path)
            message = error.message
            if len(message) > MAX_MESSAGE_CHARS:  # long instances: keep both ends
                message = message[:MAX_MESSAGE_CHARS // 2] + " ... " + message[-100:]
            out.append("%s: %s" % (where, message))
        return out


# --- checking one message ----------------------------------------------------------------------

def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError("duplicate key %r" % key)
        seen[key] = value
    return seen


def _reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def parse_json(text):
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)


def _get(document, *path):
    """document[path[0]][path[1]]..., or None where a step is missing or not an object."""
    for step in path:
        if not isinstance(document, dict):
            return None
        document = document.get(step)
    return document


def _purl_digest(purl):
    """The artifact digest a ledger purl names: the version of a pkg:oci purl, the checksum
    qualifier of a pkg:generic one; None if there is none."""
    if not isinstance(purl, str):
        return None
    base, _, qualifiers = purl.partition("?")
    if base.startswith("pkg:oci/"):
        _, at, version = base.partition("@")
        return urllib.parse.unquote(version) if at else None
    for qualifier in qualifiers.split("&"):
        name, _, value = qualifier.partition("=")
        if name == "checksum":
            return urllib.parse.unquote(value)
    return None


def check_command(message, value, headers):
    faults = []
    slot = None
    if isinstance(value, dict):
        environment, deployment = value.get("environment_name"), value.get("deployment_name")
        if isinstance(environment, str) and isinstance(deployment, str):
            slot = environment + "/" + deployment
    if slot is not None and message.get("key") != slot:
        faults.append("key %r is not environment_name/deployment_name of the value (%r)"
                      % (message.get("key"), slot))
    for header in ("ce_id", "ce_source"):
        text = headers.get(header)
        if isinstance(text, str) and len(text.encode("utf-8")) > MAX_ATTRIBUTE_BYTES:
            faults.append("header %s is %d bytes of UTF-8; at most %d are allowed"
                          % (header, len(text.encode("utf-8")), MAX_ATTRIBUTE_BYTES))
    return faults


def check_event(message, value, headers):
    faults = []

    def same(what, left, right):
        if left != right:
            faults.append("%s: %r != %r" % (what, left, right))

    context = _get(value, "context")
    subject = _get(value, "subject")
    record = _get(value, "customData", "deployment_record")
    same("header ce_id vs context.id", headers.get("ce_id"), _get(context, "id"))
    same("header ce_type vs context.type", headers.get("ce_type"), _get(context, "type"))
    same("header ce_source vs context.source", headers.get("ce_source"), _get(context, "source"))
    same("header ledger_organization vs customData.organization",
         headers.get("ledger_organization"), _get(value.get("customData", {}), "organization"))
    same("header ce_time vs context.timestamp", headers.get("ce_time"),
         _get(context, "timestamp"))
    same("key vs subject.id", message.get("key"), _get(subject, "id"))
    same("header ce_subject vs subject.id", headers.get("ce_subject"), _get(subject, "id"))
    same("header ce_partitionkey vs subject.id", headers.get("ce_partitionkey"),
         _get(subject, "id"))
    same("customData.deployment_record.environment_name vs subject.content.environment.id",
         _get(record, "environment_name"), _get(subject, "content", "environment", "id"))
    if isinstance(record, dict):
        environment, deployment = record.get("environment_name"), record.get("deployment_name")
        if isinstance(environment, str) and isinstance(deployment, str):
            same("subject.id vs the record's environment_name/deployment_name",
                 _get(subject, "id"), environment + "/" + deployment)
        same("context.timestamp vs customData.deployment_record.updated_at",
             _get(context, "timestamp"), record.get("updated_at"))
        record_id, event_id = record.get("id"), _get(context, "id")
        if isinstance(record_id, str) and isinstance(event_id, str):
            if event_id.rpartition(":")[0] != record_id:
                faults.append("context.id %r is not \"<record id>:<revision>\" of record %r"
                              % (event_id, record_id))
        supersession = _get(value, "customData", "supersession")
        if isinstance(supersession, dict):
            same("supersession.replacing_record_id vs customData.deployment_record.id",
                 supersession.get("replacing_record_id"), record_id)
            if supersession.get("superseded_record_id") == record_id:
                faults.append("supersession.superseded_record_id is the record's own id %r"
                              % record_id)
        artifact_id = _get(subject, "content", "artifactId")
        digest = _get(record, "artifact", "digest")
        if artifact_id is not None and _purl_digest(artifact_id) != digest:
            faults.append("subject.content.artifactId %r does not name the record's digest %r"
                          % (artifact_id, digest))
    return faults


def check_message(schemas, message):
    """The faults of one decoded JSONL line, as texts; empty when it is valid."""
    if not isinstance(message, dict):
        return ["the line is not a JSON object"]
    faults = []
    for field in ("topic", "key", "value"):
        if not isinstance(message.get(field), str):
            faults.append("%s must be a string, not %s" % (field, json.dumps(message.get(field))))
    headers = message.get("headers")
    if not isinstance(headers, dict):
        return faults + ["headers must be an object of header name to value"]
    ce_type = headers.get("ce_type")
    if ce_type == COMMAND_TYPE:
        value_schema, header_schema, expected_topic = (COMMAND_SCHEMA, COMMAND_HEADERS_SCHEMA,
                                                       COMMANDS_TOPIC)
    elif ce_type in EVENT_SCHEMAS:
        value_schema, header_schema, expected_topic = (EVENT_SCHEMAS[ce_type],
                                                       EVENT_HEADERS_SCHEMA, EVENTS_TOPIC)
    else:
        return faults + ["header ce_type %s is none of %s" % (
            json.dumps(ce_type), ", ".join([COMMAND_TYPE] + sorted(EVENT_SCHEMAS)))]
    topic = message.get("topic")
    if topic in (COMMANDS_TOPIC, EVENTS_TOPIC) and topic != expected_topic:
        faults.append("a %s message on topic %s" % (ce_type, topic))

    faults += ["headers%s" % e for e in schemas.errors(header_schema, headers)]
    if not isinstance(message.get("value"), str):
        return faults
    try:
        value = parse_json(message["value"])
    except ValueError as error:
        return faults + ["value is not valid JSON: %s" % error]
    faults += ["value%s" % e for e in schemas.errors(value_schema, value)]
    if ce_type == COMMAND_TYPE:
        faults += check_command(message, value, headers)
    else:
        faults += check_event(message, value, headers)
    return faults


def validate_file(schemas, path):
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        sys.stderr.write("cannot read %s: %s\n" % (path, error))
        return 2
    valid = failed = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            faults = check_message(schemas, parse_json(line))
        except ValueError as error:
            faults = ["not a JSON line: %s" % error]
        if faults:
            failed += 1
            for fault in faults:
                print("line %d: %s" % (number, fault))
        else:
            valid += 1
    if failed:
        print("messages: %d valid, %d invalid" % (valid, failed))
        return 1
    print("messages: %d valid" % valid)
    return 0


# --- self-test ---------------------------------------------------------------------------------

RECORD_ID = "0b6f1c2e-5d4a-4e8b-9c3d-2a1f0e9d8c7b"
PREVIOUS_ID = "7e2d4c1b-3a59-4f6e-8d7c-1b0a9f8e7d6c"
DIGEST = "sha256:" + "ab" * 32
PREVIOUS_DIGEST = "sha256:" + "cd" * 32
UPDATED_AT = "2026-12-03T18:40:00.123456Z"


def _record(status="DEPLOYED", kind="CONTAINER_IMAGE"):
    return {
        "id": RECORD_ID,
        "environment_id": "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d",
        "status": status,
        "last_seen_at": UPDATED_AT,
        "created_at": "2026-12-03T18:39:59.000001Z",
        "updated_at": UPDATED_AT,
        "environment_name": "prod",
        "artifact_id": "9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f",
        "artifact": {"kind": kind, "name": "ghcr.io/acme/api", "version": "1.2.3",
                     "digest": DIGEST},
        "deployment_name": "checkout-api",
        "logical_environment_id": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
        "logical_environment_name": "production",
    }


def _event(predicate, kind="CONTAINER_IMAGE", traceparent=False):
    """A valid event message; its value is still a dict (see _encoded)."""
    event_type = "dev.cdevents.service.%s.0.3.0" % predicate
    event_id = RECORD_ID + ":3"
    slot = "prod/checkout-api"
    content = {"environment": {"id": "prod", "source": "/deployment-ledger"}}
    if predicate != "removed":
        if kind == "CONTAINER_IMAGE":
            content["artifactId"] = ("pkg:oci/api@sha256%3A" + "ab" * 32 +
                                     "?repository_url=ghcr.io%2Facme%2Fapi&tag=1.2.3")
        else:
            content["artifactId"] = "pkg:generic/api@1.2.3?checksum=sha256:" + "ab" * 32
    custom = {"organization": "acme", "deployment_record": _record(
        "DECOMMISSIONED" if predicate == "removed" else "DEPLOYED", kind)}
    if predicate in ("upgraded", "rolledback"):
        custom["supersession"] = {"superseded_record_id": PREVIOUS_ID,
                                  "superseded_artifact_digest": PREVIOUS_DIGEST,
                                  "replacing_record_id": RECORD_ID}
    headers = {
        "ce_specversion": "1.0",
        "ce_id": event_id,
        "ce_source": "/deployment-ledger/recorder",
        "ce_type": event_type,
        "ce_subject": slot,
        "ce_time": UPDATED_AT,
        "ce_partitionkey": slot,
        "content-type": "application/json",
        "ledger_organization": "acme",
    }
    if traceparent:
        headers["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    value = {
        "context": {"specversion": "0.5.0", "id": event_id,
                    "source": "/deployment-ledger/recorder", "type": event_type,
                    "timestamp": UPDATED_AT},
        "subject": {"id": slot, "source": "/deployment-ledger", "content": content},
        "customDataContentType": "application/json",
        "customData": custom,
    }
    return {"topic": EVENTS_TOPIC, "key": slot, "headers": headers, "value": value}


def _nameless_image():
    """An image recorded without artifact_name: the ledger names it with a generic purl."""
    message = _event("deployed")
    message["value"]["customData"]["deployment_record"]["artifact"]["name"] = ""
    message["value"]["subject"]["content"]["artifactId"] = (
        "pkg:generic/artifact@1.2.3?checksum=sha256:" + "ab" * 32)
    return message


def _command(from_gateway=True):
    headers = {
        "ce_specversion": "1.0",
        "ce_id": "req-4f1c2d",
        "ce_source": "//deployment-ledger/gateway/5c1e0a9b3d7f2e64",
        "ce_type": COMMAND_TYPE,
        "content-type": "application/json",
        "ledger_organization": "acme",
    }
    value = {"environment_name": "prod", "deployment_name": "checkout-api",
             "logical_environment_name": "production", "artifact_digest": DIGEST}
    if from_gateway:
        headers.update({"ce_time": "2026-12-03T18:40:00.1Z",
                        "ledger_reply_to": "ledger_replies_5c1e0a9b3d7f2e64",
                        "ledger_correlation_id": "req-4f1c2d"})
        value.update({"kind": "CONTAINER_IMAGE", "artifact_name": "ghcr.io/acme/api",
                      "artifact_version": "1.2.3", "status": "DEPLOYED"})
    else:
        headers["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    return {"topic": COMMANDS_TOPIC, "key": "prod/checkout-api", "headers": headers,
            "value": value}


def _encoded(message):
    message = copy.deepcopy(message)
    if not isinstance(message["value"], str):
        message["value"] = json.dumps(message["value"])
    return message


def _mutation(base, change):
    message = copy.deepcopy(base)
    change(message)
    return message


def _valid_samples():
    return [
        ("command from the gateway", _command()),
        ("command from another producer, optional fields left out", _command(False)),
        ("deployed, container image", _event("deployed")),
        ("deployed, helm chart", _event("deployed", kind="HELM_CHART")),
        ("deployed, container image without a name", _nameless_image()),
        ("upgraded", _event("upgraded", traceparent=True)),
        ("rolledback, helm chart", _event("rolledback", kind="HELM_CHART")),
        ("removed", _event("removed", traceparent=True)),
    ]


def _mutations():
    command, deployed = _command(), _event("deployed")
    upgraded, removed = _event("upgraded"), _event("removed")

    def setting(path, new):
        def change(message):
            holder = message
            for step in path[:-1]:
                holder = holder[step]
            if new is _DELETE:
                del holder[path[-1]]
            else:
                holder[path[-1]] = new
        return change

    def both(*changes):
        def change(message):
            for each in changes:
                each(message)
        return change

    upgraded_type = "dev.cdevents.service.upgraded.0.3.0"
    yield "event: context.type is another event's type", deployed, setting(
        ["value", "context", "type"], upgraded_type)
    yield "event: a deployed payload under the upgraded type", deployed, both(
        setting(["value", "context", "type"], upgraded_type),
        setting(["headers", "ce_type"], upgraded_type))
    yield "event: unknown ce_type", deployed, setting(
        ["headers", "ce_type"], "dev.cdevents.service.published.0.3.0")
    yield "upgraded without supersession", upgraded, setting(
        ["value", "customData", "supersession"], _DELETE)
    yield "deployed with a supersession", deployed, setting(
        ["value", "customData", "supersession"],
        _event("upgraded")["value"]["customData"]["supersession"])
    yield "command: status SUPERSEDED", command, setting(["value", "status"], "SUPERSEDED")
    yield "event: ce_id differs from context.id", deployed, setting(
        ["headers", "ce_id"], RECORD_ID + ":4")
    yield "event: subject.type (removed in CDEvents 0.5.0)", deployed, setting(
        ["value", "subject", "type"], "service")
    yield "removed with an artifactId", removed, setting(
        ["value", "subject", "content", "artifactId"],
        deployed["value"]["subject"]["content"]["artifactId"])
    yield "removed with a DEPLOYED record", removed, setting(
        ["value", "customData", "deployment_record", "status"], "DEPLOYED")
    yield "deployed with a DECOMMISSIONED record", deployed, setting(
        ["value", "customData", "deployment_record", "status"], "DECOMMISSIONED")
    yield "event: context.version instead of specversion", deployed, both(
        setting(["value", "context", "specversion"], _DELETE),
        setting(["value", "context", "version"], "0.5.0"))
    yield "event: specversion 0.4.1", deployed, setting(
        ["value", "context", "specversion"], "0.4.1")
    yield "event: key differs from subject.id", deployed, setting(["key"], "prod/other")
    yield "event: ce_partitionkey differs", deployed, setting(
        ["headers", "ce_partitionkey"], "prod/other")
    yield "event: environment.id differs from the record", deployed, setting(
        ["value", "subject", "content", "environment", "id"], "staging")
    yield "event: ce_time differs from context.timestamp", deployed, setting(
        ["headers", "ce_time"], "2026-12-03T18:40:01.123456Z")
    yield "event: timestamp without microseconds", deployed, setting(
        ["value", "context", "timestamp"], "2026-12-03T18:40:00Z")
    yield "event: container image with a generic purl", deployed, setting(
        ["value", "subject", "content", "artifactId"],
        _event("deployed", kind="HELM_CHART")["value"]["subject"]["content"]["artifactId"])
    yield "event: nameless container image with an oci purl", _nameless_image(), setting(
        ["value", "subject", "content", "artifactId"],
        deployed["value"]["subject"]["content"]["artifactId"])
    yield "event: purl names another digest", deployed, setting(
        ["value", "subject", "content", "artifactId"],
        "pkg:oci/api@sha256%3A" + "ef" * 32 + "?repository_url=ghcr.io%2Facme%2Fapi")
    yield "upgraded: replacing_record_id is not the record", upgraded, setting(
        ["value", "customData", "supersession", "replacing_record_id"], PREVIOUS_ID)
    yield "event: extra header", deployed, setting(["headers", "ce_dataschema"], "x")
    yield "event: value is not JSON", deployed, setting(["value"], "{not json")
    yield "event: duplicate key in the value", deployed, setting(
        ["value"], '{"context": {}, "context": {}}')
    yield "command: key differs from the slot", command, setting(["key"], "prod/other")
    yield "command: event topic", command, setting(["topic"], EVENTS_TOPIC)
    yield "command: sha256 with 63 hex digits", command, setting(
        ["value", "artifact_digest"], DIGEST[:-1])
    yield "command: sha512 with uppercase hex", command, setting(
        ["value", "artifact_digest"], "sha512:" + "AB" * 64)
    yield "command: digest longer than 255", command, setting(
        ["value", "artifact_digest"], "x:" + "a" * 254)
    yield "command: upper-case label", command, setting(["value", "environment_name"], "Prod")
    yield "command: label with a trailing newline", command, setting(
        ["value", "deployment_name"], "checkout-api\n")
    yield "command: label of 64 characters", command, setting(
        ["value", "logical_environment_name"], "a" * 64)
    yield "command: artifact_name of 257 characters", command, setting(
        ["value", "artifact_name"], "n" * 257)
    yield "command: artifact_version with a control character", command, setting(
        ["value", "artifact_version"], "1.2\u00853")
    yield "command: unknown field", command, setting(["value", "artifactDigest"], DIGEST)
    yield "command: missing artifact_digest", command, setting(
        ["value", "artifact_digest"], _DELETE)
    yield "command: reply_to without correlation id", command, setting(
        ["headers", "ledger_correlation_id"], _DELETE)
    yield "command: unknown ce_ header", command, setting(["headers", "ce_subject"], "x")
    yield "command: ce_id of 512 characters but more bytes", command, setting(
        ["headers", "ce_id"], "\u00e9" * 512)
    yield "command: ce_time with a trailing newline ('$' is end of input)", command, setting(
        ["headers", "ce_time"], "2026-12-03T18:40:00.1Z\n")
    yield "command: empty ce_source", command, setting(["headers", "ce_source"], "")
    yield "command: organization not a label", command, setting(
        ["headers", "ledger_organization"], "Acme Corp")
    yield "command: ce_specversion 0.3", command, setting(["headers", "ce_specversion"], "0.3")


class _Delete:
    pass


_DELETE = _Delete()


def self_test(schema_dir):
    schemas = Schemas(schema_dir)
    problems = []
    valid = 0
    for name, message in _valid_samples():
        faults = check_message(schemas, _encoded(message))
        if faults:
            problems.append("valid sample %r was rejected: %s" % (name, "; ".join(faults)))
        else:
            valid += 1
    rejected = 0
    for name, base, change in _mutations():
        faults = check_message(schemas, _encoded(_mutation(base, change)))
        if faults:
            rejected += 1
        else:
            problems.append("mutation %r was not reported" % name)
    for problem in problems:
        print("self-test: " + problem)
    if problems:
        return 1
    print("self-test: %d valid messages accepted, %d mutations rejected (%s)" % (
        valid, rejected, "referencing" if Registry is not None else "RefResolver"))
    return 0


def main(argv):
    args = argv[1:]
    try:
        if args[:1] == ["--self-test"] and len(args) <= 2:
            return self_test(args[1] if len(args) == 2 else DEFAULT_SCHEMA_DIR)
        if len(args) == 2 and not args[0].startswith("-"):
            return validate_file(Schemas(args[0]), args[1])
    except SchemaError as error:
        sys.stderr.write("%s\n" % error)
        return 2
    sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
