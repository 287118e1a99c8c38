#!/usr/bin/env python3
"""Checks that our OpenAPI description is wire-compatible with a shared contract.

    check_openapi.py CONTRACT OURS              compare; exit 0 when compatible, 1 if not,
                                                2 if a file cannot be read
    check_openapi.py --self-test CONTRACT OURS  mutate copies of the contract and of OURS in
                                                memory; exit 0 only if every mutation is
                                                reported as a mismatch
Paths default to <repo>/../shared/api/record-deployment.openapi.yaml (shared/ sits beside the
work tree, also in CI) and <repo>/schemas/openapi.yaml.

What "wire-compatible" means here, for every path and method of the contract:
  * the operation exists in ours, with the same security scheme kind (e.g. HTTP bearer);
  * the request body exists, is required if the contract's is, offers the contract's media
    types, and its schema matches: same property names at every level, same types, the same
    format wherever the contract names one, and equal enum value sets wherever either side
    has an enum;
  * every response status of the contract (including "default") exists in ours with the
    contract's media types;
  * 2xx response bodies match in the same way as the request body;
  * error bodies (4xx, 5xx, default): code, message and details exist in ours with the
    contract's types, and the details items have the contract's item type.
Component names do not matter: every $ref is followed. Only local refs ("#/...") are supported.
Needs python3 and PyYAML.
"""

import copy
import os
import sys

import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ERROR_BODY_FIELDS = ("code", "message", "details")
JSON = "application/json"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_CONTRACT = os.path.normpath(
    os.path.join(REPO, "..", "shared", "api", "record-deployment.openapi.yaml"))
DEFAULT_OURS = os.path.join(REPO, "schemas", "openapi.yaml")


class SpecError(Exception):
    """The document itself cannot be read as OpenAPI (bad $ref, wrong shape)."""


class Spec:
    def __init__(self, doc, label):
        if not isinstance(doc, dict):
            raise SpecError(f"{label}: not a YAML mapping")
        self.doc = doc
        self.label = label

    def deref(self, node):
        """Follows $ref chains; returns the node itself (not a copy), so it can be mutated."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise SpecError(f"{self.label}: unsupported $ref {ref!r}")
            if ref in seen:
                raise SpecError(f"{self.label}: $ref cycle at {ref}")
            seen.add(ref)
            target = self.doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise SpecError(f"{self.label}: $ref {ref} does not resolve")
                target = target[part]
            node = target
        return node

    def schema(self, node):
        """A resolved schema: $refs followed and allOf parts merged (a new dict when merged)."""
        node = self.deref(node)
        if not isinstance(node, dict):
            return {}
        if "allOf" not in node:
            return node
        merged = {k: v for k, v in node.items() if k != "allOf"}
        props = dict(merged.get("properties", {}))
        for part in node["allOf"]:
            part = self.schema(part)
            for key, value in part.items():
                if key == "properties":
                    props.update(value)
                else:
                    merged.setdefault(key, value)
        if props:
            merged["properties"] = props
        return merged

    def operations(self):
        for path, item in (self.doc.get("paths") or {}).items():
            item = self.deref(item)
            for method in METHODS:
                if isinstance(item, dict) and method in item:
                    yield path, method, self.deref(item[method])

    def operation(self, path, method):
        item = self.deref((self.doc.get("paths") or {}).get(path))
        if not isinstance(item, dict) or method not in item:
            return None
        return self.deref(item[method])

    def security_kinds(self, op):
        """The operation's effective security, as a set of requirements, each a frozenset of
        scheme signatures (type, scheme, in, name) so that scheme names do not matter."""
        requirements = op.get("security", self.doc.get("security", []))
        schemes = (self.doc.get("components") or {}).get("securitySchemes") or {}
        out = set()
        for requirement in requirements or []:
            signature = []
            for name in requirement:
                scheme = self.deref(schemes.get(name, {}))
                signature.append((scheme.get("type"), str(scheme.get("scheme", "")).lower(),
                                  scheme.get("in"), scheme.get("name")))
            out.add(frozenset(signature))
        return out


def media(spec, holder):
    """The content map of a request body or response."""
    return (spec.deref(holder) or {}).get("content") or {}


def body_schema(spec, holder):
    content = media(spec, holder)
    entry = content.get(JSON) or next(iter(content.values()), None)
    if entry is None or "schema" not in entry:
        return None
    return spec.schema(entry["schema"])


def describe(values):
    return "[" + ", ".join(str(v) for v in values) + "]"


class Comparison:
    def __init__(self, contract, ours):
        self.c = contract
        self.o = ours
        self.problems = []

    def mismatch(self, where, what):
        self.problems.append(f"{where}: {what}")

    def run(self):
        for path, method, c_op in self.c.operations():
            where = f"{method.upper()} {path}"
            o_op = self.o.operation(path, method)
            if o_op is None:
                self.mismatch(where, "operation is in the contract but missing from ours")
                continue
            self.security(where, c_op, o_op)
            self.request(where, c_op, o_op)
            self.responses(where, c_op, o_op)
        return self.problems

    def security(self, where, c_op, o_op):
        c_kinds, o_kinds = self.c.security_kinds(c_op), self.o.security_kinds(o_op)
        if c_kinds != o_kinds:
            self.mismatch(where, f"security differs: contract {sorted(map(sorted, c_kinds))}, "
                                 f"ours {sorted(map(sorted, o_kinds))}")

    def request(self, where, c_op, o_op):
        where = f"{where} request body"
        if "requestBody" not in c_op:
            return
        if "requestBody" not in o_op:
            self.mismatch(where, "is in the contract but missing from ours")
            return
        c_body, o_body = self.c.deref(c_op["requestBody"]), self.o.deref(o_op["requestBody"])
        if c_body.get("required", False) and not o_body.get("required", False):
            self.mismatch(where, "is required in the contract but optional in ours")
        self.media_types(where, c_body, o_body)
        c_schema, o_schema = body_schema(self.c, c_body), body_schema(self.o, o_body)
        if c_schema is not None:
            if o_schema is None:
                self.mismatch(where, "has no schema in ours")
            else:
                self.schema(where, c_schema, o_schema, 0)

    def media_types(self, where, c_holder, o_holder):
        missing = sorted(set(media(self.c, c_holder)) - set(media(self.o, o_holder)))
        if missing:
            self.mismatch(where, f"media types missing from ours: {describe(missing)}")

    def responses(self, where, c_op, o_op):
        c_responses = c_op.get("responses") or {}
        o_responses = o_op.get("responses") or {}
        for status, c_response in c_responses.items():
            status = str(status)
            here = f"{where} response {status}"
            o_response = o_responses.get(status, o_responses.get(int(status))
                                         if status.isdigit() else None)
            if o_response is None:
                self.mismatch(here, "status is in the contract but missing from ours")
                continue
            c_response, o_response = self.c.deref(c_response), self.o.deref(o_response)
            self.media_types(here, c_response, o_response)
            c_schema = body_schema(self.c, c_response)
            o_schema = body_schema(self.o, o_response)
            if c_schema is None:
                continue
            if o_schema is None:
                self.mismatch(here, "has a body in the contract but none in ours")
            elif status.startswith("2"):
                self.schema(here, c_schema, o_schema, 0)
            else:
                self.error_body(here, c_schema, o_schema)

    def schema(self, where, c, o, depth):
        """Structural comparison of a request or success body, recursing into objects/arrays."""
        if depth > 32:
            return
        c_type, o_type = c.get("type"), o.get("type")
        if c_type is None and "properties" in c:
            c_type = "object"
        if o_type is None and "properties" in o:
            o_type = "object"
        if c_type is not None and c_type != o_type:
            self.mismatch(where, f"type differs: contract {c_type}, ours {o_type}")
            return
        if "format" in c and c.get("format") != o.get("format"):
            self.mismatch(where, f"format differs: contract {c['format']}, ours {o.get('format')}")
        if "enum" in c or "enum" in o:
            c_enum, o_enum = c.get("enum"), o.get("enum")
            if c_enum is None or o_enum is None:
                self.mismatch(where, f"enum only on one side: contract "
                                     f"{describe(c_enum or [])}, ours {describe(o_enum or [])}")
            elif set(c_enum) != set(o_enum):
                only_c = sorted(set(c_enum) - set(o_enum), key=str)
                only_o = sorted(set(o_enum) - set(c_enum), key=str)
                self.mismatch(where, f"enum values differ: only in contract {describe(only_c)}, "
                                     f"only in ours {describe(only_o)}")
        if c_type == "object" or "properties" in c:
            c_props = c.get("properties") or {}
            o_props = o.get("properties") or {}
            for name in c_props:
                if name not in o_props:
                    self.mismatch(where, f"property '{name}' is in the contract but missing "
                                         f"from ours")
            for name in o_props:
                if name not in c_props:
                    self.mismatch(where, f"property '{name}' is in ours but not in the contract")
            for name in c_props:
                if name in o_props:
                    self.schema(f"{where} .{name}", self.c.schema(c_props[name]),
                                self.o.schema(o_props[name]), depth + 1)
        if c_type == "array" and "items" in c:
            self.schema(f"{where} []", self.c.schema(c["items"]),
                        self.o.schema(o.get("items", {})), depth + 1)

    def error_body(self, where, c, o):
        """code/message/details: present with the contract's types; details items likewise."""
        c_props = c.get("properties") or {}
        o_props = o.get("properties") or {}
        for name in ERROR_BODY_FIELDS:
            if name not in c_props:
                continue
            if name not in o_props:
                self.mismatch(where, f"error property '{name}' is missing from ours")
                continue
            c_field, o_field = self.c.schema(c_props[name]), self.o.schema(o_props[name])
            if c_field.get("type") != o_field.get("type"):
                self.mismatch(where, f"error property '{name}' type differs: contract "
                                     f"{c_field.get('type')}, ours {o_field.get('type')}")
                continue
            if "format" in c_field and c_field["format"] != o_field.get("format"):
                self.mismatch(where, f"error property '{name}' format differs: contract "
                                     f"{c_field['format']}, ours {o_field.get('format')}")
            if c_field.get("type") == "array":
                c_item = self.c.schema(c_field.get("items", {}))
                o_item = self.o.schema(o_field.get("items", {}))
                c_item_type = c_item.get("type") or ("object" if "properties" in c_item else None)
                o_item_type = o_item.get("type") or ("object" if "properties" in o_item else None)
                if c_item_type != o_item_type:
                    self.mismatch(where, f"error property '{name}' item type differs: contract "
                                         f"{c_item_type}, ours {o_item_type}")


def compare(contract, ours):
    return Comparison(contract, ours).run()


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# ---------------------------------------------------------------------------------------------
# Self-test: every mutation below must be reported. Mutations find their target by following
# the document's structure (not component names), so they apply to the contract and to ours.

def first_operation(spec):
    for path, method, op in spec.operations():
        return path, method, op
    raise SpecError(f"{spec.label}: no operations")


def request_schema(spec, path, method):
    op = spec.operation(path, method)
    return body_schema(spec, spec.deref(op["requestBody"]))


def response(spec, path, method, status):
    return spec.deref(spec.operation(path, method)["responses"][status])


def success_schema(spec, path, method):
    return body_schema(spec, response(spec, path, method, "200"))


def object_property(spec, schema):
    """Name and resolved schema of the first property that is itself an object."""
    for name, prop in (schema.get("properties") or {}).items():
        resolved = spec.schema(prop)
        if resolved.get("type") == "object" or "properties" in resolved:
            return name, resolved
    raise SpecError(f"{spec.label}: no object property")


def enum_property(spec, schema):
    for name, prop in (schema.get("properties") or {}).items():
        resolved = spec.schema(prop)
        if "enum" in resolved:
            return name, resolved
    raise SpecError(f"{spec.label}: no enum property")


def property_with_format(spec, schema, fmt):
    for name, prop in (schema.get("properties") or {}).items():
        resolved = spec.schema(prop)
        if resolved.get("format") == fmt:
            return name, resolved
    raise SpecError(f"{spec.label}: no property with format {fmt}")


def mutations(contract):
    """(description, side, function). side is "ours" (the mutated copy is compared against the
    contract) or "contract" (the mutated contract is compared against the unmutated target).
    Each function mutates a Spec in place and returns a text the report must mention."""
    path, method, c_op = first_operation(contract)
    statuses = [str(s) for s in c_op.get("responses", {})]
    error_statuses = [s for s in statuses if not s.startswith("2")]
    out = []

    def add(description, side="ours"):
        def register(fn):
            out.append((description, side, fn))
            return fn
        return register

    @add("remove a request field")
    def _(spec):
        props = request_schema(spec, path, method)["properties"]
        name = list(props)[-1]
        del props[name]
        return name

    @add("rename a request field")
    def _(spec):
        props = request_schema(spec, path, method)["properties"]
        name = list(props)[0]
        props[name + "_renamed"] = props.pop(name)
        return name + "_renamed"

    @add("add an extra request field")
    def _(spec):
        request_schema(spec, path, method)["properties"]["surplus_field"] = {"type": "string"}
        return "surplus_field"

    @add("change a request field's type")
    def _(spec):
        props = request_schema(spec, path, method)["properties"]
        name = list(props)[0]
        props[name] = {"type": "integer"}
        return name

    @add("make the request body optional")
    def _(spec):
        spec.deref(spec.operation(path, method)["requestBody"])["required"] = False
        return "optional"

    @add("offer another request media type")
    def _(spec):
        content = spec.deref(spec.operation(path, method)["requestBody"])["content"]
        content["text/plain"] = content.pop(JSON)
        return JSON

    @add("change an enum value")
    def _(spec):
        name, schema = enum_property(spec, request_schema(spec, path, method))
        schema["enum"] = schema["enum"][:-1] + [str(schema["enum"][-1]) + "_CHANGED"]
        return "_CHANGED"

    @add("drop an enum value")
    def _(spec):
        name, schema = enum_property(spec, request_schema(spec, path, method))
        dropped = schema["enum"].pop()
        return str(dropped)

    @add("turn an enum into a plain string")
    def _(spec):
        name, schema = enum_property(spec, request_schema(spec, path, method))
        del schema["enum"]
        return "enum only on one side"

    @add("drop the response enum (status of the record)")
    def _(spec):
        _, record = object_property(spec, success_schema(spec, path, method))
        name, schema = enum_property(spec, record)
        record["properties"][name] = {"type": "string"}
        return name

    for status in statuses:
        @add(f"drop response status {status}")
        def _(spec, status=status):
            del spec.operation(path, method)["responses"][status]
            return f"response {status}: status is in the contract"

    @add("remove the 200 body's top-level property")
    def _(spec):
        schema = success_schema(spec, path, method)
        name, _ = object_property(spec, schema)
        del schema["properties"][name]
        return name

    @add("remove a record field")
    def _(spec):
        _, record = object_property(spec, success_schema(spec, path, method))
        name = list(record["properties"])[0]
        del record["properties"][name]
        return f"'{name}'"

    @add("add a record field")
    def _(spec):
        _, record = object_property(spec, success_schema(spec, path, method))
        record["properties"]["surplus_record_field"] = {"type": "string"}
        return "surplus_record_field"

    @add("remove a nested artifact field")
    def _(spec):
        _, record = object_property(spec, success_schema(spec, path, method))
        _, artifact = object_property(spec, record)
        name = list(artifact["properties"])[-1]
        del artifact["properties"][name]
        return f"'{name}'"

    @add("change a timestamp's format")
    def _(spec):
        _, record = object_property(spec, success_schema(spec, path, method))
        name, _ = property_with_format(spec, record, "date-time")
        record["properties"][name] = {"type": "string", "format": "date"}
        return "format differs"

    for status in error_statuses:
        @add(f"flip the details item type of {status}")
        def _(spec, status=status):
            schema = body_schema(spec, response(spec, path, method, status))
            details = spec.schema(schema["properties"]["details"])
            item = spec.schema(details.get("items", {}))
            flipped = "integer" if item.get("type") == "string" else "string"
            details["items"] = {"type": flipped}
            return f"response {status}: error property 'details' item type"

        @add(f"drop message from the {status} body")
        def _(spec, status=status):
            schema = body_schema(spec, response(spec, path, method, status))
            del schema["properties"]["message"]
            return f"response {status}: error property 'message' is missing"

        @add(f"make code a string in the {status} body")
        def _(spec, status=status):
            schema = body_schema(spec, response(spec, path, method, status))
            schema["properties"]["code"] = {"type": "string"}
            return f"response {status}: error property 'code' type"

    @add("remove the operation")
    def _(spec):
        del spec.deref(spec.doc["paths"][path])[method]
        return "missing from ours"

    @add("move the operation to another path")
    def _(spec):
        spec.doc["paths"][path + "-moved"] = spec.doc["paths"].pop(path)
        return "missing from ours"

    @add("drop the security requirement")
    def _(spec):
        spec.operation(path, method)["security"] = []
        return "security differs"

    @add("contract gains a path", side="contract")
    def _(spec):
        spec.doc["paths"]["/v1/self-test-extra"] = {
            "get": {"responses": {"200": {"description": "x"}}}}
        return "/v1/self-test-extra"

    @add("contract gains a status code", side="contract")
    def _(spec):
        spec.operation(path, method)["responses"]["409"] = {"description": "x"}
        return "response 409"

    @add("contract gains a request field", side="contract")
    def _(spec):
        request_schema(spec, path, method)["properties"]["self_test_field"] = {"type": "string"}
        return "self_test_field"

    return out


def self_test(contract_path, ours_path):
    contract_doc = load(contract_path)
    contract = Spec(contract_doc, contract_path)
    targets = [("contract copy", contract_doc)]
    if ours_path:
        targets.append((ours_path, load(ours_path)))
    failures = []
    runs = 0
    for label, target_doc in targets:
        baseline = compare(contract, Spec(target_doc, label))
        if baseline:
            failures.append(f"[{label}] baseline is not compatible: {baseline}")
            continue
        for description, side, mutate in mutations(contract):
            runs += 1
            mutated = Spec(copy.deepcopy(contract_doc if side == "contract" else target_doc),
                           label)
            try:
                expected = mutate(mutated)
            except (KeyError, IndexError, SpecError) as error:
                failures.append(f"[{label}] {description}: could not apply ({error!r})")
                continue
            if side == "contract":
                problems = compare(mutated, Spec(target_doc, label))
            else:
                problems = compare(contract, mutated)
            if not problems:
                failures.append(f"[{label}] {description}: NOT detected")
            elif not any(expected in problem for problem in problems):
                failures.append(f"[{label}] {description}: detected, but no message mentions "
                                f"{expected!r}: {problems}")
    for failure in failures:
        print(f"self-test: {failure}")
    if failures:
        print(f"self-test: FAILED ({len(failures)} of {runs} mutations)")
        return 1
    print(f"self-test: all {runs} mutations detected "
          f"({', '.join(label for label, _ in targets)})")
    return 0


def main(argv):
    args = [a for a in argv[1:] if a != "--self-test"]
    wants_self_test = len(args) < len(argv) - 1
    if len(args) > 2 or any(a.startswith("-") for a in args):
        print("usage: check_openapi.py [--self-test] [CONTRACT [OURS]]\n"
              f"  defaults: {DEFAULT_CONTRACT} and {DEFAULT_OURS}", file=sys.stderr)
        return 2
    contract_path = args[0] if args else DEFAULT_CONTRACT
    ours_path = args[1] if len(args) > 1 else DEFAULT_OURS
    try:
        if wants_self_test:
            return self_test(contract_path, ours_path)
        problems = compare(Spec(load(contract_path), contract_path),
                           Spec(load(ours_path), ours_path))
    except (OSError, yaml.YAMLError, SpecError) as error:
        print(f"openapi: cannot check: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"openapi: MISMATCH {problem}")
    if problems:
        print(f"openapi: {ours_path} is NOT wire-compatible with {contract_path} "
              f"({len(problems)} mismatch(es))")
        return 1
    print(f"openapi: wire-compatible with {contract_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
