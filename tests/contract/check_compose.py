#!/usr/bin/env python3
"""Checks docker-compose.yml and the Dockerfile against the sources, without Docker.

    check_compose.py [REPO]               check; exit 0 when every check passes, 1 if any fails
    check_compose.py --self-test [REPO]   mutate the parsed files in memory; exit 0 only if every
                                          mutation is reported
REPO defaults to the work tree holding this script.

What is checked:
  * docker-compose.yml is YAML with `services` holding postgres, kafka, recorder and gateway;
  * every service has a health check, and every depends_on target is a defined service (one
    waited for with service_healthy has a health check);
  * a service built from this repository maps to services/<name>: each DEPLOYMENTS_* variable
    it sets names an option of that service (options.add("name", ...) in services/<name>/*.cpp,
    variable DEPLOYMENTS_ + name upper-cased with '-' as '_'); its command runs the service's own
    executable (add_executable(deployment-ledger-...) in services/<name>/CMakeLists.txt);
  * every published container port is the value of a DEPLOYMENTS_*PORT variable of the service,
    whose address variable is a wildcard address (the defaults bind to 127.0.0.1, unreachable
    from outside the container); the port of an HTTP health check is one the service listens on;
  * the hosts in DEPLOYMENTS_BROKERS and DEPLOYMENTS_DATABASE_URL are services it depends on, and
    the database URL names the database and password the postgres service sets up;
  * every build context exists and holds its Dockerfile;
  * every secret a service mounts is defined; a DEPLOYMENTS_*_FILE under /run/secrets is one of
    the service's secrets; every secret file's directory is named in a comment of the compose
    file, and the file is ignored by .gitignore and .dockerignore;
  * the kafka image is apache/kafka with the tag of KAFKA_VERSION's default in infra/env.sh;
  * the Dockerfile has at least two stages, builds (cmake --target) the executable of each
    service built from it and COPYs it from a build stage to /usr/local/bin, runs the last stage
    as a user other than root, installs curl there when a health check calls it, sets only
    DEPLOYMENTS_* variables some service knows, and COPYs only files that exist and that
    .dockerignore does not exclude.
Prints one line per failure, or "compose: N checks passed". Needs python3 and PyYAML.
"""

import copy
import fnmatch
import glob
import json
import os
import re
import shlex
import sys
from urllib.parse import unquote, urlsplit

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REQUIRED_SERVICES = ("postgres", "kafka", "recorder", "gateway")
KAFKA_IMAGE = "apache/kafka"
OPTION_RE = re.compile(r'options\.add\(\s*"([a-z0-9-]+)"')
EXECUTABLE_RE = re.compile(r"add_executable\(\s*(deployment-ledger-[a-z0-9-]+)")
KAFKA_VERSION_RE = re.compile(r"KAFKA_VERSION:-([^}\"'\s]+)")
PORT_VAR_RE = re.compile(r"^DEPLOYMENTS_(?:([A-Z0-9_]+)_)?PORT$")
HEALTH_URL_RE = re.compile(r"https?://(?:localhost|127\.0\.0\.1|\[::1\])(?::(\d+))?(?:/|$)")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "[::]")
SECRETS_DIR = "/run/secrets"
BIN_DIR = "/usr/local/bin"


class ProjectError(Exception):
    """A file the checks need cannot be read."""


def read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise ProjectError(f"{path}: cannot read: {e.strerror}") from e


def read_optional(path):
    try:
        return read_text(path)
    except ProjectError:
        return ""


def env_option_name(option):
    return "DEPLOYMENTS_" + option.upper().replace("-", "_")


def load_project(repo):
    """Everything the checks look at, as plain data, so that the self-test can mutate it."""
    compose_path = os.path.join(repo, "docker-compose.yml")
    compose_text = read_text(compose_path)
    try:
        compose = yaml.safe_load(compose_text)
    except yaml.YAMLError as e:
        raise ProjectError(f"docker-compose.yml: not valid YAML: {e}") from e
    sources = {}
    for service_dir in sorted(glob.glob(os.path.join(repo, "services", "*", ""))):
        name = os.path.basename(os.path.dirname(service_dir))
        options = set()
        for cpp in sorted(glob.glob(os.path.join(service_dir, "*.cpp"))):
            options.update(OPTION_RE.findall(read_text(cpp)))
        cmake = read_optional(os.path.join(service_dir, "CMakeLists.txt"))
        sources[name] = {"options": options, "executables": set(EXECUTABLE_RE.findall(cmake))}
    env_sh = read_text(os.path.join(repo, "infra", "env.sh"))
    version = KAFKA_VERSION_RE.search(env_sh)
    return {
        "repo": repo,
        "compose": compose,
        "compose_text": compose_text,
        "sources": sources,
        "kafka_version": version.group(1) if version else None,
        "gitignore": read_optional(os.path.join(repo, ".gitignore")),
        "dockerfiles": {},  # context-relative path -> text, filled in on demand
    }


def dockerfile_text(project, context, name):
    """The text of a build's Dockerfile, or None if it does not exist."""
    path = os.path.normpath(os.path.join(context, name))
    if path not in project["dockerfiles"]:
        full = os.path.join(project["repo"], path)
        project["dockerfiles"][path] = read_text(full) if os.path.isfile(full) else None
    return project["dockerfiles"][path]


# ---- compose helpers -------------------------------------------------------------------------

INTERPOLATION_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$\$")


def interpolate(value):
    """Compose's ${VAR:-default}, taking the default (the check must not depend on the shell)."""
    text = str(value)
    return INTERPOLATION_RE.sub(lambda m: "$" if m.group(0) == "$$" else (m.group(2) or ""), text)


def scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else interpolate(value)


def environment_of(service):
    env = service.get("environment") or {}
    if isinstance(env, dict):
        return {str(k): scalar(v) for k, v in env.items()}
    out = {}
    for entry in env:
        key, _, value = str(entry).partition("=")
        out[key] = interpolate(value)
    return out


def depends_on_of(service):
    """{target: condition} for the short (list) and long (mapping) forms."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {str(d): "service_started" for d in deps}
    return {str(k): (v or {}).get("condition", "service_started") for k, v in deps.items()}


def container_ports(service):
    """(container port or None, description) of each published port."""
    out = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            target = entry.get("target")
            out.append((str(target) if target is not None else None, json.dumps(entry)))
            continue
        text = interpolate(entry)
        out.append((text.rsplit(":", 1)[-1].split("/", 1)[0], text))
    return out


def healthcheck_test(service):
    check = service.get("healthcheck")
    if not isinstance(check, dict) or check.get("disable"):
        return None
    test = check.get("test")
    if not test or test == ["NONE"]:
        return None
    return " ".join(str(t) for t in test) if isinstance(test, list) else str(test)


def build_of(service):
    """(context, dockerfile) of a service built from source, or None."""
    build = service.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        return interpolate(build), "Dockerfile"
    context = interpolate(build.get("context", "."))
    return context, interpolate(build.get("dockerfile", "Dockerfile"))


def secret_targets(service):
    """{path in the container: secret name} of the secrets a service mounts."""
    out = {}
    for entry in service.get("secrets") or []:
        if isinstance(entry, dict):
            source = str(entry.get("source"))
            target = str(entry.get("target") or source)
        else:
            source = target = str(entry)
        out[target if target.startswith("/") else f"{SECRETS_DIR}/{target}"] = source
    return out


def command_words(value):
    if value is None:
        return None
    return [str(w) for w in value] if isinstance(value, list) else shlex.split(interpolate(value))


def ignored(path, patterns_text, anchored):
    """Whether a relative path is excluded by .dockerignore (anchored) or .gitignore patterns."""
    parts = os.path.normpath(path).split(os.sep)
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    result = False
    for line in patterns_text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = (line[1:] if negate else line).rstrip("/")
        if anchored or "/" in pattern:
            hit = any(fnmatch.fnmatchcase(p, pattern.lstrip("/")) for p in prefixes)
        else:
            hit = any(fnmatch.fnmatchcase(part, pattern) for part in parts)
        if hit:
            result = not negate
    return result


# ---- Dockerfile helpers ----------------------------------------------------------------------


def dockerfile_instructions(text):
    """[(INSTRUCTION, arguments)] with continuation lines joined and comments dropped."""
    out, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        out.append(split_instruction(current))
        current = ""
    if current.strip():
        out.append(split_instruction(current))
    return out


def split_instruction(text):
    word, *rest = text.split(None, 1)
    return word.upper(), rest[0].strip() if rest else ""


def dockerfile_stages(text):
    stages = []
    for instruction, args in dockerfile_instructions(text):
        if instruction == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append({"base": words[0] if words else "", "name": name, "steps": []})
        elif stages:
            stages[-1]["steps"].append((instruction, args))
    return stages


def split_words(args):
    if args.startswith("["):
        try:
            return [str(w) for w in json.loads(args)]
        except ValueError:
            pass
    try:
        return shlex.split(args)
    except ValueError:
        return args.split()


def cmake_targets(run_args):
    words = split_words(run_args)
    targets, collecting = set(), False
    for word in words:
        if word in ("--target", "-t"):
            collecting = True
        elif word.startswith("--target="):
            targets.update(w for w in word.split("=", 1)[1].split(",") if w)
            collecting = False
        elif collecting and not word.startswith("-") and word not in ("&&", "||", ";", "|"):
            targets.add(word)
        else:
            collecting = False
    return targets


def copy_parts(args):
    """(flags, sources, destination) of a COPY or ADD, in shell or JSON form."""
    flags = {}
    rest = args.strip()
    while rest.startswith("--"):
        flag, *tail = rest.split(None, 1)
        key, _, value = flag[2:].partition("=")
        flags[key] = value
        rest = tail[0].strip() if tail else ""
    words = split_words(rest)
    return flags, words[:-1], words[-1] if words else ""


# ---- the checks ------------------------------------------------------------------------------


class Checks:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def expect(self, condition, message):
        if condition:
            self.passed += 1
        elif message not in self.failures:  # a Dockerfile shared by services is reported once
            self.failures.append(message)
        return condition


def check(project):
    c = Checks()
    compose = project["compose"]
    if not c.expect(isinstance(compose, dict) and isinstance(compose.get("services"), dict),
                    "docker-compose.yml: no `services` mapping"):
        return c
    services = compose["services"]
    for name in REQUIRED_SERVICES:
        c.expect(isinstance(services.get(name), dict), f"services: `{name}` is missing")
    top_secrets = compose.get("secrets") or {}

    for name, service in services.items():
        if not isinstance(service, dict):
            c.expect(False, f"{name}: not a mapping")
            continue
        check_service(c, project, services, top_secrets, name, service)

    check_kafka_image(c, project, services)
    check_secret_files(c, project, top_secrets)
    return c


def check_service(c, project, services, top_secrets, name, service):
    env = environment_of(service)
    deps = depends_on_of(service)
    test = healthcheck_test(service)
    c.expect(test is not None, f"{name}: no healthcheck")

    for target, condition in deps.items():
        if c.expect(target in services, f"{name}: depends_on `{target}`, which is not a service"):
            if condition == "service_healthy":
                c.expect(healthcheck_test(services[target]) is not None,
                         f"{name}: waits for `{target}` to be healthy, but it has no healthcheck")

    mounted = secret_targets(service)
    for source in mounted.values():
        c.expect(source in top_secrets, f"{name}: uses secret `{source}`, which is not defined")

    build = build_of(service)
    deployments_vars = sorted(k for k in env if k.startswith("DEPLOYMENTS_"))
    source = project["sources"].get(name)
    if build is None and not deployments_vars:
        return
    if not c.expect(source is not None,
                    f"{name}: built here or configured with DEPLOYMENTS_*, but services/{name} "
                    "does not exist"):
        return
    known = {env_option_name(o): o for o in source["options"]}

    for var in deployments_vars:
        c.expect(var in known, f"{name}: {var} is not an option of services/{name} "
                               "(no matching options.add)")
        if var.endswith("_FILE") and env[var].startswith(SECRETS_DIR + "/"):
            c.expect(env[var] in mounted,
                     f"{name}: {var}={env[var]} is not a secret mounted in the service")

    # Ports the service listens on (DEPLOYMENTS_PORT, DEPLOYMENTS_<X>_PORT), each with the
    # variable of its bind address (DEPLOYMENTS_LISTEN_ADDRESS, DEPLOYMENTS_<X>_ADDRESS).
    listening = {}
    for var in deployments_vars:
        m = PORT_VAR_RE.match(var)
        if m:
            prefix = f"DEPLOYMENTS_{m.group(1)}_" if m.group(1) else "DEPLOYMENTS_"
            candidates = [prefix + "ADDRESS", prefix + "LISTEN_ADDRESS"]
            address_var = next((a for a in candidates if a in known),
                                next((a for a in candidates if a in env), candidates[-1]))
            listening[env[var]] = (var, address_var)
    configured = ", ".join(f"{var}={port}" for port, (var, _) in listening.items()) or "none"
    for port, text in container_ports(service):
        if not c.expect(port in listening,
                        f"{name}: publishes container port {port} ({text}), but no "
                        f"DEPLOYMENTS_*PORT of the service is {port} (configured: {configured})"):
            continue
        port_var, address_var = listening[port]
        address = env.get(address_var, "")
        c.expect(address in WILDCARD_ADDRESSES,
                 f"{name}: publishes {port_var}={port} but {address_var} is "
                 f"{address or 'unset (loopback by default)'}; it must be 0.0.0.0")

    if test is not None:
        for m in HEALTH_URL_RE.finditer(test):
            port = m.group(1) or "80"
            c.expect(port in listening,
                     f"{name}: healthcheck calls port {port}, but no DEPLOYMENTS_*PORT of the "
                     f"service is {port}")

    if "DEPLOYMENTS_BROKERS" in env:
        for broker in filter(None, (b.strip() for b in env["DEPLOYMENTS_BROKERS"].split(","))):
            host = broker.rsplit(":", 1)[0]
            c.expect(host in deps, f"{name}: DEPLOYMENTS_BROKERS names host `{host}`, which is "
                                   "not a service it depends on")
    if "DEPLOYMENTS_DATABASE_URL" in env:
        url = urlsplit(env["DEPLOYMENTS_DATABASE_URL"])
        host = url.hostname or ""
        c.expect(host in deps, f"{name}: DEPLOYMENTS_DATABASE_URL names host `{host}`, which is "
                               "not a service it depends on")
        if host == "postgres" and isinstance(services.get(host), dict):
            check_database_url(c, name, url, environment_of(services[host]))

    if build is not None:
        check_build(c, project, services, name, service, source, build, test)


def check_database_url(c, name, url, pg_env):
    database = url.path.lstrip("/")
    wanted_db = pg_env.get("POSTGRES_DB") or pg_env.get("POSTGRES_USER") or "postgres"
    c.expect(database == wanted_db,
             f"{name}: DEPLOYMENTS_DATABASE_URL names database `{database}`, but postgres "
             f"creates `{wanted_db}`")
    if "POSTGRES_PASSWORD" in pg_env:
        c.expect(unquote(url.password or "") == pg_env["POSTGRES_PASSWORD"],
                 f"{name}: DEPLOYMENTS_DATABASE_URL's password is not postgres' POSTGRES_PASSWORD")


def check_build(c, project, services, name, service, source, build, test):
    context, dockerfile = build
    repo = project["repo"]
    if not c.expect(os.path.isdir(os.path.join(repo, context)),
                    f"{name}: build context `{context}` does not exist"):
        return
    text = dockerfile_text(project, context, dockerfile)
    if not c.expect(text is not None, f"{name}: build context `{context}` has no {dockerfile}"):
        return
    label = os.path.normpath(os.path.join(context, dockerfile))
    stages = dockerfile_stages(text)
    if not c.expect(len(stages) >= 2,
                    f"{label}: {len(stages)} FROM stage(s); a build and a runtime stage needed"):
        return
    runtime = stages[-1]
    build_stage_names = {s["name"] for s in stages[:-1] if s["name"]}
    build_stage_names.update(str(i) for i in range(len(stages) - 1))
    targets = set()
    for stage in stages[:-1]:
        for instruction, args in stage["steps"]:
            if instruction == "RUN":
                targets |= cmake_targets(args)
    copied = {}
    for instruction, args in runtime["steps"]:
        if instruction == "COPY":
            flags, sources, destination = copy_parts(args)
            if flags.get("from") in build_stage_names:
                for src in sources:
                    copied[os.path.basename(src.rstrip("/"))] = destination
    for executable in sorted(source["executables"]):
        c.expect(executable in targets,
                 f"{label}: does not build {executable} (cmake --build ... --target)")
        destination = copied.get(executable)
        if c.expect(destination is not None,
                    f"{label}: does not COPY {executable} from a build stage"):
            c.expect(destination.rstrip("/") in (BIN_DIR, f"{BIN_DIR}/{executable}"),
                     f"{label}: copies {executable} to {destination}, not to {BIN_DIR}/")

    # The program the container runs: compose's entrypoint/command over the image's.
    image_entry = image_cmd = None
    user = None
    for instruction, args in runtime["steps"]:
        if instruction == "ENTRYPOINT":
            image_entry = split_words(args)
        elif instruction == "CMD":
            image_cmd = split_words(args)
        elif instruction == "USER":
            user = args.strip()
    entry = command_words(service.get("entrypoint"))
    entry = image_entry if entry is None else entry
    cmd = command_words(service.get("command"))
    cmd = image_cmd if cmd is None else cmd
    program = (entry or cmd or [""])[0]
    c.expect(os.path.basename(program) in source["executables"],
             f"{name}: runs `{program or 'nothing'}`, not one of "
             f"{', '.join(sorted(source['executables'])) or 'its executables'}")
    c.expect(user is not None and user.split(":")[0] not in ("root", "0"),
             f"{label}: the last stage runs as {user or 'root (no USER)'}")

    installs = " ".join(args for instruction, args in runtime["steps"] if instruction == "RUN")
    if test is not None and re.search(r"\bcurl\b", test):
        c.expect(re.search(r"apt-get install[^&;|]*\bcurl\b", installs) is not None,
                 f"{name}: healthcheck calls curl, which {label}'s last stage does not install")

    all_options = {env_option_name(o) for s in project["sources"].values() for o in s["options"]}
    dockerignore = read_optional(os.path.join(repo, context, ".dockerignore"))
    for stage in stages:
        for instruction, args in stage["steps"]:
            if instruction == "ENV":
                for var in re.findall(r"(DEPLOYMENTS_[A-Z0-9_]+)", args):
                    c.expect(var in all_options, f"{label}: ENV {var} is no service's option")
            if instruction in ("COPY", "ADD"):
                flags, sources, _ = copy_parts(args)
                if "from" in flags:
                    continue
                for src in sources:
                    if any(ch in src for ch in "*?[") or "://" in src:
                        continue
                    path = os.path.normpath(src.lstrip("/"))
                    c.expect(os.path.exists(os.path.join(repo, context, path)),
                             f"{label}: COPY {src}: no such file in the build context")
                    if path != ".":
                        c.expect(not ignored(path, dockerignore, anchored=True),
                                 f"{label}: COPY {src}: excluded by .dockerignore")


def check_kafka_image(c, project, services):
    kafka = services.get("kafka")
    if not isinstance(kafka, dict):
        return
    version = project["kafka_version"]
    if not c.expect(version is not None, "infra/env.sh: no KAFKA_VERSION:-<version> default"):
        return
    image = str(kafka.get("image", ""))
    repository, _, tag = image.rpartition(":")
    repository = repository.removeprefix("docker.io/")
    c.expect(repository == KAFKA_IMAGE and tag == version,
             f"kafka: image is `{image}`; expected {KAFKA_IMAGE}:{version} (KAFKA_VERSION in "
             "infra/env.sh)")


def check_secret_files(c, project, top_secrets):
    comments = "\n".join(line for line in project["compose_text"].splitlines()
                         if line.lstrip().startswith("#"))
    dockerignore = read_optional(os.path.join(project["repo"], ".dockerignore"))
    for secret, spec in top_secrets.items():
        if not isinstance(spec, dict) or "file" not in spec:
            continue
        path = os.path.normpath(interpolate(spec["file"]))
        directory = os.path.dirname(path) or "."
        c.expect(re.search(r"(?<![\w.])" + re.escape(directory) + r"(?![\w])", comments)
                 is not None,
                 f"secrets: `{secret}` lives in {directory}/, which no comment of "
                 "docker-compose.yml mentions (say how to create it)")
        c.expect(ignored(path, project["gitignore"], anchored=False),
                 f"secrets: `{secret}` file {path} is not git-ignored")
        c.expect(ignored(path, dockerignore, anchored=True),
                 f"secrets: `{secret}` file {path} is not excluded by .dockerignore")


# ---- self-test -------------------------------------------------------------------------------


def mutations():
    """(name, mutate(project), substring the new failure must contain)."""

    def services(p):
        return p["compose"]["services"]

    def env(p, name):
        return services(p)[name]["environment"]

    def dockerfile(p, edit):
        key = os.path.normpath("Dockerfile")
        p["dockerfiles"][key] = edit(p["dockerfiles"][key])

    def listify_env(p):
        recorder = services(p)["recorder"]
        recorder["environment"] = [f"{k}={v}" for k, v in recorder["environment"].items()]
        recorder["environment"].append("DEPLOYMENTS_BATCH_SIZE=100")

    yield ("unknown DEPLOYMENTS_ variable",
           lambda p: env(p, "recorder").update(DEPLOYMENTS_NO_SUCH_OPTION="1"),
           "DEPLOYMENTS_NO_SUCH_OPTION")
    yield ("gateway-only option set on the recorder",
           lambda p: env(p, "recorder").update(DEPLOYMENTS_JWT_LEEWAY="5s"),
           "DEPLOYMENTS_JWT_LEEWAY")
    yield ("unknown variable in list-form environment", listify_env, "DEPLOYMENTS_BATCH_SIZE")
    yield ("depends_on a missing service",
           lambda p: services(p)["gateway"]["depends_on"].update(
               zookeeper={"condition": "service_started"}),
           "zookeeper")
    yield ("depends_on a missing service (short form)",
           lambda p: services(p)["recorder"].update(depends_on=["postgres", "kafka", "schema"]),
           "schema")
    yield ("wrong kafka tag",
           lambda p: services(p)["kafka"].update(image=f"{KAFKA_IMAGE}:3.0.0"), "kafka: image")
    yield ("another kafka image",
           lambda p: services(p)["kafka"].update(
               image=f"bitnami/kafka:{p['kafka_version']}"), "kafka: image")
    yield ("missing healthcheck",
           lambda p: services(p)["recorder"].pop("healthcheck"), "recorder: no healthcheck")
    yield ("disabled healthcheck",
           lambda p: services(p)["postgres"].update(healthcheck={"disable": True}),
           "postgres: no healthcheck")
    yield ("published port mismatch",
           lambda p: services(p)["gateway"].update(ports=["127.0.0.1:8080:9090"]), "9090")
    yield ("port variable changed",
           lambda p: env(p, "gateway").update(DEPLOYMENTS_PORT="8000"), "container port 8080")
    yield ("published port on loopback",
           lambda p: env(p, "gateway").update(DEPLOYMENTS_LISTEN_ADDRESS="127.0.0.1"),
           "DEPLOYMENTS_LISTEN_ADDRESS is 127.0.0.1")
    yield ("healthcheck on the wrong port",
           lambda p: services(p)["gateway"]["healthcheck"].update(
               test=["CMD", "curl", "-fsS", "http://localhost:9999/readyz"]), "port 9999")
    yield ("broker host not a service",
           lambda p: env(p, "gateway").update(DEPLOYMENTS_BROKERS="broker:9092"), "`broker`")
    yield ("database name mismatch",
           lambda p: env(p, "recorder").update(
               DEPLOYMENTS_DATABASE_URL="postgresql://postgres:ledger@postgres:5432/other"),
           "database `other`")
    yield ("missing build context",
           lambda p: services(p)["gateway"].update(build="./no-such-dir"), "no-such-dir")
    yield ("undefined secret",
           lambda p: services(p)["gateway"].update(secrets=["jwt_key"]), "`jwt_key`")
    yield ("secret file variable without the secret",
           lambda p: services(p)["gateway"].pop("secrets"), "DEPLOYMENTS_JWT_SECRET_FILE")
    yield ("undocumented secret directory",
           lambda p: p.update(compose_text="\n".join(
               line for line in p["compose_text"].splitlines()
               if not line.lstrip().startswith("#"))),
           "no comment")
    yield ("secret file outside .state",
           lambda p: p["compose"]["secrets"]["jwt_secret"].update(file="./hs256.secret"),
           "not git-ignored")
    yield ("recorder runs the gateway",
           lambda p: services(p)["recorder"].update(command="deployment-ledger-gateway"),
           "recorder: runs `deployment-ledger-gateway`")
    yield ("single-stage Dockerfile",
           lambda p: dockerfile(p, lambda t: re.sub(r"(?m)^FROM debian:12-slim.*$", "", t)),
           "FROM stage")
    yield ("Dockerfile does not build the recorder",
           lambda p: dockerfile(p, lambda t: re.sub(r"(--target[^\n]*) deployment-ledger-recorder",
                                                    r"\1", t)),
           "does not build deployment-ledger-recorder")
    yield ("Dockerfile does not copy the gateway",
           lambda p: dockerfile(p, lambda t: t.replace(
               "/build/services/gateway/deployment-ledger-gateway", "")),
           "does not COPY deployment-ledger-gateway")
    yield ("runtime stage runs as root",
           lambda p: dockerfile(p, lambda t: re.sub(r"(?m)^USER .*$", "", t)), "runs as root")
    yield ("runtime stage without curl",
           lambda p: dockerfile(p, lambda t: t.replace(" curl ", " ").replace(" curl\n", "\n")),
           "does not install")
    yield ("Dockerfile ENV of no service",
           lambda p: dockerfile(p, lambda t: t.replace(
               "\nCMD ", "\nENV DEPLOYMENTS_LISTEN_ADRESS=0.0.0.0\nCMD ")),
           "DEPLOYMENTS_LISTEN_ADRESS")
    yield ("no services",
           lambda p: p["compose"].pop("services"), "no `services`")
    yield ("missing required service",
           lambda p: services(p).pop("postgres"), "`postgres` is missing")


def self_test(repo):
    base = load_project(repo)
    for name, service in (base["compose"].get("services") or {}).items():
        if isinstance(service, dict) and build_of(service):
            dockerfile_text(base, *build_of(service))
    baseline = set(check(base).failures)
    missed = 0
    count = 0
    for name, mutate, expected in mutations():
        count += 1
        project = copy.deepcopy(base)
        try:
            mutate(project)
        except (KeyError, TypeError, AttributeError) as e:
            print(f"self-test: `{name}` cannot be applied to this compose file ({e!r})")
            missed += 1
            continue
        new = [f for f in check(project).failures if f not in baseline]
        if not any(expected in f for f in new):
            print(f"self-test: `{name}` was not reported (wanted a failure containing "
                  f"{expected!r}; new failures: {new or 'none'})")
            missed += 1
    if missed:
        return 1
    print(f"compose self-test: {count} mutations reported")
    return 0


def main(argv):
    args = [a for a in argv[1:] if a != "--self-test"]
    wants_self_test = len(args) < len(argv) - 1
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print(__doc__.split("\n\n")[0].strip(), file=sys.stderr)
        return 2
    repo = os.path.abspath(args[0]) if args else REPO
    try:
        if wants_self_test:
            return self_test(repo)
        result = check(load_project(repo))
    except ProjectError as e:
        print(e)
        return 1
    for failure in result.failures:
        print(failure)
    if result.failures:
        return 1
    print(f"compose: {result.passed} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
