#!/usr/bin/env python3
"""make bench: the ledger beside what a user would build instead, measured in one run.

On the Postgres and Kafka that infra/bench.sh started, this script creates a fresh database and
fresh topics, starts a recorder and a gateway on them, and measures:

  1. end to end over HTTP with wrk (tests/bench/record_mix.lua) at each connection count;
  2. the direct-write baseline with pgbench (tests/bench/direct_write.*) at the same counts;
  3. the drain of a backlog produced straight into the commands topic, beside a bare COPY of the
     same rows into a table shaped like deployment_records.

It writes results.json, summary.md and chart.png into the output folder and prints the ratios
against the targets first. It asserts nothing about speed: a missed target is reported, not
failed. It fails when a measurement itself fails (a service exits, a client errors, a count is
short), naming what failed.
"""

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

PG_PORT = os.environ.get("PG_PORT", "15432")
BROKERS = os.environ.get("KAFKA_BROKERS", "127.0.0.1:19092")
STATE = Path(os.environ.get("LEDGER_STATE", Path(__file__).resolve().parents[2] / ".state"))
HERE = Path(__file__).resolve().parent
DATABASE = "ledger_bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

TARGETS = {
    "e2e_64_over_direct": 1.0,
    "e2e_256_over_direct": 2.0,
    "e2e_256_p99_ms": 50.0,
    "drain_over_copy": 0.40,
    "rss_mb": 200.0,
}


class BenchError(RuntimeError):
    pass


def log(message):
    print(f"bench: {message}", flush=True)


def run(args, **kwargs):
    """Runs a command to completion; raises BenchError with its output when it fails."""
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise BenchError(f"{' '.join(map(str, args[:3]))} ... exited with {result.returncode}:\n"
                         f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.stdout


def psql(database, *statements):
    args = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", PG_PORT,
            "-U", "postgres", "-d", database]
    for statement in statements:
        args += ["-c", statement]
    return run(args).strip()


def database_url(database=DATABASE):
    return f"postgresql://postgres@127.0.0.1:{PG_PORT}/{database}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=2.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def metric_sum(text, name):
    """Sum of every sample of one Prometheus metric, whatever its labels."""
    total = 0.0
    pattern = re.compile(rf"^{re.escape(name)}(\{{[^}}]*\}})? (\S+)$")
    for line in text.splitlines():
        match = pattern.match(line)
        if match:
            total += float(match.group(2))
    return total


class Service:
    """One of the ledger's binaries, run in the background with its log in a file."""

    def __init__(self, name, binary, args, log_dir):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log_file = open(self.log_path, "a")
        self.process = subprocess.Popen([str(binary)] + args, stdout=self.log_file,
                                        stderr=subprocess.STDOUT)
        self.started = time.monotonic()

    @property
    def pid(self):
        return self.process.pid

    def check_alive(self):
        if self.process.poll() is not None:
            tail = self.log_path.read_text()[-3000:]
            raise BenchError(f"{self.name} exited with {self.process.returncode}; "
                             f"last lines of {self.log_path}:\n{tail}")

    def wait_for(self, url, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                http_get(url)
                return
            except OSError:
                time.sleep(0.2)
        raise BenchError(f"{self.name} not ready at {url} after {timeout} s")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise BenchError(f"{self.name} did not stop within 60 s of SIGTERM")
        self.log_file.close()


def read_stat(pid):
    """(utime + stime, cutime + cstime) of a process in seconds; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    children = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
    return own, children


def children_cpu():
    """CPU seconds of this script's children that have exited and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return None


def postgres_cpu(postmaster):
    """CPU seconds of the Postgres cluster: the postmaster, its live children, and the children
    it has already reaped."""
    stat = read_stat(postmaster)
    if stat is None:
        raise BenchError(f"postmaster {postmaster} is gone")
    total = stat[0] + stat[1]
    for child in Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split():
        child_stat = read_stat(child)
        if child_stat is not None:
            total += child_stat[0]
    return total


def process_cpu(pid):
    stat = read_stat(pid)
    return 0.0 if stat is None else stat[0] + stat[1]


class Sampler(threading.Thread):
    """Peak resident memory of the services and CPU seconds of every part during one run."""

    def __init__(self, services, pids):
        super().__init__(daemon=True)
        self.services = services  # name -> pid whose peak RSS is kept
        self.pids = pids  # name -> pid (or callable giving CPU seconds) whose CPU is counted
        self.peaks = {name: 0.0 for name in services}
        self.stopping = threading.Event()
        self.cpu_start = self._cpu()
        self.wall_start = time.monotonic()

    def _cpu(self):
        out = {}
        for name, source in self.pids.items():
            out[name] = source() if callable(source) else process_cpu(source)
        return out

    def run(self):
        while not self.stopping.wait(0.25):
            for name, pid in self.services.items():
                value = rss_mb(pid)
                if value is not None:
                    self.peaks[name] = max(self.peaks[name], value)

    def finish(self, extra_cpu=None):
        cpu_end = self._cpu()
        if extra_cpu:
            cpu_end.update(extra_cpu)
        self.stopping.set()
        self.join()
        wall = time.monotonic() - self.wall_start
        cpu = {name: round(cpu_end[name] - self.cpu_start.get(name, 0.0), 2) for name in cpu_end}
        return {"rss_peak_mb": {k: round(v, 1) for k, v in self.peaks.items()},
                "cpu_seconds": cpu, "wall_seconds": round(wall, 2)}


class Bench:
    def __init__(self, build, out, quick):
        self.build = build
        self.out = out
        self.quick = quick
        self.profiling = shutil.which("perf") is not None and (
            not quick or os.environ.get("BENCH_PROFILE") == "1")
        self.seconds = 5 if quick else 20
        self.warm_seconds = 4 if quick else 10
        # A broker started for the benchmark runs interpreted Java at first: the first
        # measured run came out at half the rate of the next one. The mix runs this long at the
        # highest connection count before anything is measured.
        self.jit_warm_seconds = 15 if quick else 40
        self.drain_commands = int(os.environ.get("BENCH_DRAIN_COMMANDS",
                                                 100_000 if quick else 1_000_000))
        self.connections = [16, 64, 256]
        self.hot_slots = 10_000
        self.environments = 200
        self.run_id = time.strftime("%Y%m%d%H%M%S")
        self.topics = {kind: f"bench-{self.run_id}.{kind}"
                       for kind in ("commands", "events", "dead-letter")}
        self.work = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
        self.work.chmod(0o755)
        self.logs = out / "logs"
        self.results = {"runs": [], "machine": machine(), "mode": "quick" if quick else "full",
                        "settings": {"seconds_per_run": self.seconds,
                                     "warm_up_seconds": self.warm_seconds,
                                     "mix_warm_up_seconds": self.jit_warm_seconds,
                                     "hot_slots": self.hot_slots,
                                     "environments": self.environments,
                                     "drain_commands": self.drain_commands}}
        self.recorder = None
        self.gateway = None
        self.postmaster = int((STATE / "postgres/data/postmaster.pid").read_text().split()[0])
        self.kafka = int((STATE / "kafka/broker.pid").read_text().split()[0])

    # -- the stack ---------------------------------------------------------------------------

    def prepare(self):
        self.logs.mkdir(parents=True, exist_ok=True)
        needed = max(self.connections) + 40
        max_connections = int(psql("postgres", "show max_connections"))
        if max_connections < needed:
            raise BenchError(f"Postgres max_connections is {max_connections}; pgbench at "
                             f"{max(self.connections)} clients needs {needed} (restart it with "
                             "infra/postgres.sh)")
        log(f"fresh database {DATABASE}, topics bench-{self.run_id}.*")
        psql("postgres", f"drop database if exists {DATABASE} with (force)",
             f"create database {DATABASE}")
        secret = self.work / "hs256.secret"
        secret.write_text(os.urandom(32).hex())
        self.secret = secret
        self.gateway_port = free_port()
        self.recorder_port = free_port()
        self.start_recorder()
        psql(DATABASE, (HERE / "direct_write.sql").read_text())
        self.gateway = Service("gateway", self.build / "services/gateway/deployment-ledger-gateway",
                               [f"--brokers={BROKERS}", f"--port={self.gateway_port}",
                                f"--commands-topic={self.topics['commands']}",
                                f"--database-url={database_url()}",
                                f"--jwt-secret-file={secret}"]
                               + os.environ.get("BENCH_GATEWAY_ARGS", "").split(), self.logs)
        self.gateway.wait_for(f"http://127.0.0.1:{self.gateway_port}/readyz")
        self.token = run([self.build / "services/token/deployment-ledger-token",
                          f"--secret-file={secret}", "--org=bench-http", "--ttl=7200"]).strip()

    def start_recorder(self):
        self.recorder = Service("recorder",
                                self.build / "services/recorder/deployment-ledger-recorder",
                                [f"--brokers={BROKERS}", f"--database-url={database_url()}",
                                 f"--commands-topic={self.topics['commands']}",
                                 f"--events-topic={self.topics['events']}",
                                 f"--dead-letter-topic={self.topics['dead-letter']}",
                                 f"--group-id=bench-{self.run_id}",
                                 f"--admin-port={self.recorder_port}"]
                                + os.environ.get("BENCH_RECORDER_ARGS", "").split(), self.logs)
        self.recorder.wait_for(f"http://127.0.0.1:{self.recorder_port}/readyz")

    def recorder_metrics(self):
        return http_get(f"http://127.0.0.1:{self.recorder_port}/metrics")

    def stop_services(self):
        for service in (self.gateway, self.recorder):
            if service is not None:
                service.stop()
        self.gateway = self.recorder = None

    def cleanup(self):
        self.stop_services()
        shutil.rmtree(self.work, ignore_errors=True)
        result = subprocess.run([self.build / "tests/delete_topics", BROKERS]
                                + list(self.topics.values()), capture_output=True, text=True)
        if result.returncode != 0:
            log(f"could not delete the benchmark's topics: {result.stderr.strip()}")
        if os.environ.get("BENCH_KEEP") != "1":
            psql("postgres", f"drop database if exists {DATABASE} with (force)")

    # -- measurements ------------------------------------------------------------------------

    def sampler(self):
        pids = {"postgres": lambda: postgres_cpu(self.postmaster), "kafka": self.kafka}
        services = {}
        for service in (self.gateway, self.recorder):
            if service is not None:
                services[service.name] = service.pid
                pids[service.name] = service.pid
        return Sampler(services, pids)

    def wrk(self, connections, seconds, run_name, warm=False):
        out = self.work / f"wrk-{run_name}.json"
        env = dict(os.environ, BENCH_TOKEN=self.token, BENCH_RUN=run_name,
                   BENCH_HOT_SLOTS=str(self.hot_slots),
                   BENCH_ENVIRONMENTS=str(self.environments), BENCH_OUT=str(out),
                   BENCH_WARM="1" if warm else "0")
        threads = min(2, connections)
        process = subprocess.Popen(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
             "-s", str(HERE / "record_mix.lua"), f"http://127.0.0.1:{self.gateway_port}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return process, out

    def http_run(self, connections):
        log(f"HTTP end to end, {connections} connections, {self.seconds} s")
        before = children_cpu()
        process, out = self.wrk(connections, self.seconds, f"c{connections}")
        sampler = self.sampler()
        sampler.start()
        text = process.communicate()[0]
        usage = sampler.finish({"load generator": children_cpu() - before})
        for service in (self.gateway, self.recorder):
            service.check_alive()
        if process.returncode != 0 or not out.exists():
            raise BenchError(f"wrk at {connections} connections failed:\n{text}")
        summary = json.loads(out.read_text())
        seconds = summary["duration_us"] / 1e6
        errors = summary["errors"]
        acked = summary["requests"] - errors["status"]
        result = {
            "system": "ledger over HTTP", "connections": connections,
            "seconds": round(seconds, 2), "requests": summary["requests"], "acknowledged": acked,
            "errors": errors, "records_per_second": round(acked / seconds, 1),
            "latency_ms": {k: round(summary["latency_us"][k] / 1000, 2)
                           for k in ("p50", "p95", "p99", "max")},
            **usage,
        }
        self.results["runs"].append(result)
        log(f"  {result['records_per_second']:.0f} records/s acknowledged, "
            f"p50 {result['latency_ms']['p50']} ms, p99 {result['latency_ms']['p99']} ms, "
            f"{sum(errors.values())} errors; RSS gateway {usage['rss_peak_mb']['gateway']} MB, "
            f"recorder {usage['rss_peak_mb']['recorder']} MB")
        return result

    def http_profile(self, connections):
        """A run of its own, not measured, with perf sampling every process: where the time of
        the end-to-end path goes."""
        seconds = 8
        log(f"profile: HTTP end to end, {connections} connections, {seconds} s under perf")
        process, _ = self.wrk(connections, seconds, f"profile{connections}")
        time.sleep(2)
        profile = self.profile(seconds - 3)
        text = process.communicate()[0]
        if process.returncode != 0:
            raise BenchError(f"wrk during the profile failed:\n{text}")
        if profile:
            profile["connections"] = connections
            self.results["http_profile"] = profile

    def pgbench_run(self, clients):
        log(f"direct-write baseline, pgbench with {clients} clients, {self.seconds} s")
        prefix = self.work / f"pgbench-{clients}"
        before = children_cpu()
        process = subprocess.Popen(
            ["pgbench", "-n", "-h", "127.0.0.1", "-p", PG_PORT, "-U", "postgres",
             "-c", str(clients), "-j", str(min(2, clients)), "-T", str(self.seconds),
             "-f", str(HERE / "direct_write.pgbench"), "-D", "organization=bench-direct",
             "-D", f"hot_slots={self.hot_slots}", "-D", f"environments={self.environments}",
             "-l", f"--log-prefix={prefix}", DATABASE],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=self.work)
        sampler = self.sampler()
        sampler.start()
        text = process.communicate()[0]
        usage = sampler.finish({"load generator": children_cpu() - before})
        usage.pop("rss_peak_mb")
        processed = re.search(r"number of transactions actually processed: (\d+)", text)
        failed = re.search(r"number of failed transactions: (\d+)", text)
        tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text)
        if process.returncode != 0 or not (processed and tps):
            raise BenchError(f"pgbench with {clients} clients failed:\n{text[-3000:]}")
        latencies = []
        for path in self.work.glob(f"pgbench-{clients}.*"):
            for line in path.read_text().splitlines():
                latencies.append(int(line.split()[2]))
            path.unlink()
        latencies.sort()
        result = {
            "system": "direct write (pgbench)", "connections": clients,
            "seconds": self.seconds, "requests": int(processed.group(1)),
            "acknowledged": int(processed.group(1)),
            "errors": {"failed": int(failed.group(1)) if failed else 0},
            "records_per_second": round(float(tps.group(1)), 1),
            "latency_ms": percentiles_ms(latencies),
            **usage,
        }
        self.results["runs"].append(result)
        log(f"  {result['records_per_second']:.0f} records/s, "
            f"p50 {result['latency_ms']['p50']} ms, p99 {result['latency_ms']['p99']} ms")
        return result

    def warm_up(self):
        log(f"warm-up: creating {self.hot_slots} hot slots for each system")
        psql(DATABASE, "select count(direct_write.record_mixed('bench-direct', false, k, 1, "
                       f"{self.environments})) from generate_series(1, {self.hot_slots}) k")
        process, _ = self.wrk(64, self.warm_seconds, "warm", warm=True)
        text = process.communicate()[0]
        if process.returncode != 0:
            raise BenchError(f"wrk warm-up failed:\n{text}")
        created = int(psql(DATABASE, "select count(*) from deployment_records "
                                     "where organization = 'bench-http' and is_current"))
        self.results["settings"]["hot_slots_created_by_warm_up"] = created
        log(f"  {created} of {self.hot_slots} hot slots created over HTTP")
        connections = max(self.connections)
        log(f"warm-up: the mix at {connections} connections for {self.jit_warm_seconds} s, "
            "not measured")
        process, _ = self.wrk(connections, self.jit_warm_seconds, "mixwarm")
        text = process.communicate()[0]
        if process.returncode != 0:
            raise BenchError(f"wrk warm-up with the mix failed:\n{text}")

    def profile(self, seconds):
        """System-wide perf samples for a few seconds: the share of samples of each process and
        the hottest functions of the gateway, the recorder and Postgres."""
        if shutil.which("perf") is None:
            return None
        data = self.work / "perf.data"
        result = subprocess.run(["perf", "record", "-a", "-F", "499", "-o", str(data), "--",
                                 "sleep", str(seconds)], capture_output=True, text=True)
        if result.returncode != 0:
            log(f"  perf record failed, no profile: {result.stderr.strip()[-300:]}")
            return None
        processes = {s.pid: s.name for s in (self.gateway, self.recorder) if s is not None}
        processes[self.kafka] = "kafka"

        # Share of all samples by process: threads are mapped to their process while they live.
        by_process = {}
        report = run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "-q",
                      "--sort", "pid"])
        for line in report.splitlines():
            match = re.match(r"\s*([\d.]+)%\s+(\d+):(.*)$", line)
            if not match:
                continue
            percent, tid, comm = float(match.group(1)), int(match.group(2)), match.group(3).strip()
            name = processes.get(thread_group(tid))
            if name is None:
                name = {"swapper": "idle", "postgres": "postgres", "wrk": "load generator",
                        "pgbench": "load generator"}.get(comm, "other")
            by_process[name] = by_process.get(name, 0.0) + percent

        # The hottest functions of the services and of Postgres, as shares of all samples.
        symbols = {}
        selectors = [(name, ["--pid", str(pid)]) for pid, name in processes.items()
                     if name != "kafka"] + [("postgres", ["--comm", "postgres"])]
        for name, selector in selectors:
            report = run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "-q",
                          "--sort", "dso,sym", "--percentage", "absolute"] + selector)
            symbols[name] = []
            for line in report.splitlines():
                match = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[.\]\s+(.*)$", line)
                if match and len(symbols[name]) < 10:
                    symbols[name].append({"percent": float(match.group(1)), "dso": match.group(2),
                                          "symbol": match.group(3).strip()[:90]})
        data.unlink()
        top = sorted(by_process.items(), key=lambda kv: -kv[1])
        return {"seconds": seconds, "samples_share_by_process": {k: round(v, 1) for k, v in top},
                "hottest_symbols": symbols}

    def drain(self):
        count = self.drain_commands
        log(f"drain: stopping the services, producing {count} commands into "
            f"{self.topics['commands']}")
        self.stop_services()
        started = time.monotonic()
        run([self.build / "tests/command_backlog", BROKERS, self.topics["commands"], str(count),
             "bench-drain", str(self.environments)])
        produced_seconds = time.monotonic() - started
        psql(DATABASE, "checkpoint")
        log("  starting the recorder on the backlog")
        started = time.monotonic()
        self.start_recorder()
        sampler = self.sampler()
        sampler.start()
        if self.profiling:
            threading.Thread(target=self.profile_drain, daemon=True).start()
        first_applied = None
        finished = None
        while True:
            self.recorder.check_alive()
            text = self.recorder_metrics()
            applied = metric_sum(text, "ledger_commands_applied_total")
            published = metric_sum(text, "ledger_events_published_total")
            now = time.monotonic()
            if applied > 0 and first_applied is None:
                first_applied = now
            if applied >= count and finished is None:
                finished = now
                usage = sampler.finish()
            if finished is not None and published >= count:
                break
            if now - started > 900:
                raise BenchError(f"drain: {applied:.0f} of {count} applied and {published:.0f} "
                                 "events published after 15 minutes")
            time.sleep(0.1)
        events_finished = time.monotonic()
        rows = int(psql(DATABASE, "select count(*) from deployment_records "
                                  "where organization = 'bench-drain'"))
        if rows != count:
            raise BenchError(f"drain: expected {count} records for bench-drain, found {rows}")
        seconds = finished - started
        drain = {
            "commands": count, "produce_seconds": round(produced_seconds, 2),
            "seconds_from_start": round(seconds, 2),
            "seconds_from_first_applied": round(finished - first_applied, 2),
            "events_seconds_from_start": round(events_finished - started, 2),
            "records_per_second": round(count / seconds, 1), **usage,
        }
        log(f"  {count} commands applied in {seconds:.1f} s from the recorder's start: "
            f"{drain['records_per_second']:.0f} records/s")
        self.results["drain"] = drain
        self.copy_ceiling(count)

    def profile_drain(self):
        time.sleep(3)  # past the group join, into the steady state
        profile = self.profile(5 if self.quick else 10)
        if profile:
            self.results["drain_profile"] = profile

    def copy_ceiling(self, count):
        """A bare COPY of the drain's rows into deployment_records itself, as it stands after the
        drain: the same indexes and constraints, at the same size. Each copy gets ids of its own
        (the drain's time-ordered ids with their first digit changed, so they keep their order)
        and slot names of its own, and runs in a transaction that checks the one-current-record
        constraint row by row, as the recorder's statements are checked, and is rolled back."""
        columns = ("id, organization, environment_id, deployment_name, logical_environment_id, "
                   "artifact_id, status, is_current, created_at, updated_at, last_seen_at, "
                   "revision")
        renamed = ("('f' || substr(id::text, 2))::uuid, organization, environment_id, "
                   "'copy-' || deployment_name, logical_environment_id, artifact_id, status, "
                   "is_current, created_at, updated_at, last_seen_at, revision")
        rows_file = self.work / "drain-rows.copy"
        log(f"COPY ceiling: the same {count} rows into deployment_records, three times")
        run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", PG_PORT, "-U",
             "postgres", "-d", DATABASE, "-c",
             f"\\copy (select {renamed} from deployment_records where organization = "
             f"'bench-drain' order by seq) to '{rows_file}'"])
        rows_file.chmod(0o644)
        # A single COPY varies by a quarter from run to run on this machine: the ceiling is the
        # fastest of three, each on a table vacuumed of the last one's rolled-back rows and after
        # a checkpoint, as the drain started after one.
        attempts = []
        for _ in range(3):
            psql(DATABASE, "vacuum deployment_records")
            psql(DATABASE, "checkpoint")
            started = time.monotonic()
            copied = psql(DATABASE, "begin", "set constraints all immediate",
                          f"copy deployment_records ({columns}) from '{rows_file}'",
                          "select count(*) from deployment_records where deployment_name like "
                          "'copy-%'", "rollback")
            seconds = time.monotonic() - started
            if int(copied) != count:
                raise BenchError(f"COPY ceiling: expected {count} rows, found {copied}")
            attempts.append(round(seconds, 2))
            log(f"  {count} rows in {seconds:.1f} s: {count / seconds:.0f} rows/s")
        seconds = min(attempts)
        self.results["copy"] = {"rows": count, "seconds": seconds, "attempts_seconds": attempts,
                                "rows_per_second": round(count / seconds, 1)}

    def run_all(self, parts):
        self.prepare()
        if "http" in parts:
            self.warm_up()
            for connections in self.connections:
                self.http_run(connections)
                self.pgbench_run(connections)
            if self.profiling:
                self.http_profile(max(self.connections))
        if "drain" in parts:
            self.drain()


def thread_group(tid):
    """The process a thread belongs to, or None once it is gone."""
    try:
        for line in Path(f"/proc/{tid}/status").read_text().splitlines():
            if line.startswith("Tgid:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return None


def percentiles_ms(latencies_us):
    if not latencies_us:
        return {}

    def at(q):
        return round(latencies_us[min(len(latencies_us) - 1, int(q * len(latencies_us)))] / 1000, 2)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99),
            "max": round(latencies_us[-1] / 1000, 2)}


def machine():
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    postgres = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout
    return {"cores": os.cpu_count(), "cpu": model, "memory_gib": round(memory_kb / 2**20, 1),
            "os": platform.platform(),
            "postgres": (re.search(r"\) (\d[\w.]*)", postgres) or re.search(r"(.*)", postgres))
            .group(1).strip(),
            "kafka": os.environ.get("KAFKA_VERSION", "unknown"),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def ratios(results):
    def run_at(system, connections):
        for r in results["runs"]:
            if r["system"].startswith(system) and r["connections"] == connections:
                return r
        return None

    out = []

    def add(name, value, target, better, detail):
        met = value >= target if better == "higher" else value < target
        out.append({"name": name, "value": round(value, 2), "target": target,
                    "better": better, "met": met, "detail": detail})

    if results["runs"]:
        for connections, target in ((64, TARGETS["e2e_64_over_direct"]),
                                    (256, TARGETS["e2e_256_over_direct"])):
            ledger, direct = run_at("ledger", connections), run_at("direct", connections)
            add(f"end to end / direct write at {connections} connections",
                ledger["records_per_second"] / direct["records_per_second"], target, "higher",
                f"{ledger['records_per_second']:.0f} vs {direct['records_per_second']:.0f} "
                "records/s")
        ledger = run_at("ledger", 256)
        add("end-to-end p99 at 256 connections (ms)", ledger["latency_ms"]["p99"],
            TARGETS["e2e_256_p99_ms"], "lower", "wrk, acknowledged requests")
    if "drain" in results:
        drain, copy = results["drain"], results["copy"]
        add("drain / bare COPY", drain["records_per_second"] / copy["rows_per_second"],
            TARGETS["drain_over_copy"], "higher",
            f"{drain['records_per_second']:.0f} records/s vs {copy['rows_per_second']:.0f} rows/s")
    if results["runs"]:
        for service in ("gateway", "recorder"):
            add(f"{service} peak RSS at 256 connections (MB)", ledger["rss_peak_mb"][service],
                TARGETS["rss_mb"], "lower", "sampled every 250 ms")
    return out


def ratio_lines(items):
    lines = []
    for r in items:
        sign = ">=" if r["better"] == "higher" else "<"
        verdict = "met" if r["met"] else "NOT MET"
        lines.append(f"{r['name']}: {r['value']} (target {sign} {r['target']}, {verdict}; "
                     f"{r['detail']})")
    return lines


def write_summary(results, path):
    m = results["machine"]
    lines = ["# deployment-ledger benchmark", "",
             f"{m['date']}, {results['mode']} run: {m['cores']} cores ({m['cpu']}), "
             f"{m['memory_gib']} GiB, PostgreSQL {m['postgres']}, Kafka {m['kafka']}. "
             "Everything (Postgres, Kafka, the services, the load generator) shares the machine.",
             "", "## Ratios", ""]
    lines += [f"- {line}" for line in ratio_lines(results["ratios"])]
    if results["runs"]:
        lines += ["", "## Requests", "",
                  "| System | Connections | Records/s | p50 ms | p95 ms | p99 ms | max ms "
                  "| Errors |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["runs"]:
        lat = r["latency_ms"]
        lines.append(f"| {r['system']} | {r['connections']} | {r['records_per_second']:.0f} | "
                     f"{lat['p50']} | {lat['p95']} | {lat['p99']} | {lat['max']} | "
                     f"{sum(r['errors'].values())} |")
    if "drain" in results:
        d, c = results["drain"], results["copy"]
        lines += ["", "## Drain", "",
                  f"- {d['commands']} commands produced straight into the commands topic in "
                  f"{d['produce_seconds']} s, then applied by a recorder started on the backlog "
                  f"in {d['seconds_from_start']} s from its start "
                  f"({d['seconds_from_first_applied']} s from its first applied command): "
                  f"**{d['records_per_second']:.0f} records/s**. Every change's event was on "
                  f"the events topic {d['events_seconds_from_start']} s after the start.",
                  f"- Bare `COPY` of the same {c['rows']} rows into deployment_records as it "
                  "stood after the drain (with ids and slot names of their own, rolled back "
                  "after each run), fastest of three runs "
                  f"({', '.join(str(a) for a in c['attempts_seconds'])} s): "
                  f"**{c['rows_per_second']:.0f} rows/s**."]
    lines += ["", "## Where the time goes", "",
              "CPU seconds of each part during each run (2 cores give 2 CPU seconds a second):",
              "", "| Run | Wall s | Postgres | Kafka | Gateway | Recorder | Load generator |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    drains = [dict(results["drain"], system="drain", connections="-")] if "drain" in results else []
    for r in results["runs"] + drains:
        cpu = r["cpu_seconds"]
        lines.append(f"| {r['system']}, {r['connections']} | {r['wall_seconds']} | "
                     f"{cpu.get('postgres', '-')} | {cpu.get('kafka', '-')} | "
                     f"{cpu.get('gateway', '-')} | {cpu.get('recorder', '-')} | "
                     f"{cpu.get('load generator', '-')} |")
    profiled = []
    if results.get("http_profile"):
        profiled.append((f"an extra {results['http_profile']['connections']}-connection HTTP run "
                         "(not one of the measured ones)", results["http_profile"]))
    if results.get("drain_profile"):
        profiled.append(("the drain", results["drain_profile"]))
    for what, p in profiled:
        shares = ", ".join(f"{k} {v}%" for k, v in p["samples_share_by_process"].items())
        lines += ["", f"perf, {p['seconds']} s of {what}, share of all samples: {shares}.", ""]
        for name, symbols in p["hottest_symbols"].items():
            if symbols:
                lines.append(f"Hottest in the {name}: " + "; ".join(
                    f"{s['symbol']} ({s['dso']}) {s['percent']}%" for s in symbols[:8]) + ".")
                lines.append("")
    lines += ["", "Figures: results.json. Chart: chart.png.", ""]
    path.write_text("\n".join(lines))


def write_chart(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5),
                                         gridspec_kw={"width_ratios": [3, 1]})
    styles = {"ledger over HTTP": "tab:blue", "direct write (pgbench)": "tab:orange"}
    for system, colour in styles.items():
        runs = [r for r in results["runs"] if r["system"] == system]
        x = [r["records_per_second"] for r in runs]
        for key, marker, line in (("p50", "o", "-"), ("p99", "s", "--")):
            y = [r["latency_ms"][key] for r in runs]
            left.plot(x, y, marker=marker, linestyle=line, color=colour, label=f"{system} {key}")
        for r in runs:
            left.annotate(f"{r['connections']}", (r["records_per_second"], r["latency_ms"]["p99"]),
                          textcoords="offset points", xytext=(4, 4), fontsize=8, color=colour)
    left.axhline(TARGETS["e2e_256_p99_ms"], color="grey", linewidth=0.8, linestyle=":")
    left.set_yscale("log")
    left.set_xlabel("achieved records/s (labels: connections)")
    left.set_ylabel("latency, ms (log scale)")
    left.set_title("Latency against throughput")
    left.legend(fontsize=8)
    left.grid(True, which="both", alpha=0.3)
    if "drain" in results:
        bars = {"recorder drain": results["drain"]["records_per_second"],
                "bare COPY": results["copy"]["rows_per_second"]}
        right.bar(list(bars), list(bars.values()), color=["tab:blue", "tab:grey"])
        right.set_ylabel("rows/s")
        right.set_title(f"Backlog of {results['drain']['commands']:,} commands")
    figure.suptitle(f"deployment-ledger, {results['machine']['cores']} cores, "
                    f"{results['mode']} run")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=Path, required=True, help="the CMake build folder")
    parser.add_argument("--out", type=Path, required=True, help="where the results go")
    args = parser.parse_args()
    quick = os.environ.get("QUICK", "0") not in ("", "0")
    parts = set(os.environ.get("BENCH_PARTS", "http,drain").split(","))
    if not parts or not parts <= {"http", "drain"}:
        raise BenchError(f"BENCH_PARTS is {os.environ['BENCH_PARTS']!r}; give http, drain or "
                         "both, comma-separated")
    for tool in ("wrk", "pgbench", "psql"):
        if shutil.which(tool) is None:
            raise BenchError(f"{tool} is not installed; run infra/setup.sh")
    args.out.mkdir(parents=True, exist_ok=True)
    bench = Bench(args.build.resolve(), args.out.resolve(), quick)
    started = time.monotonic()
    try:
        bench.run_all(parts)
    finally:
        bench.cleanup()
    results = bench.results
    results["total_seconds"] = round(time.monotonic() - started, 1)
    results["ratios"] = ratios(results)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_summary(results, args.out / "summary.md")
    write_chart(results, args.out / "chart.png")
    print()
    for line in ratio_lines(results["ratios"]):
        print(line)
    print(f"\nbench: {results['total_seconds']} s; figures in {args.out}/results.json, "
          f"summary.md, chart.png")


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        print(f"bench: failed: {error}", file=sys.stderr)
        sys.exit(1)
