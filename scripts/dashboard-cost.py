#!/usr/bin/env python3
"""The dashboard's own cost to a training job, without a browser: a client that makes exactly the page's requests at
the page's rate (one server-sent event stream, GET /troupe/events, sending an update a second; and every 2 s
GET /troupe/status, /troupe/agents, /troupe/replay and /troupe/serving/policies) is switched on and off in alternating
windows (off, on, on, off, ... so a trend in the job's speed cancels), and the job's env steps/s in each window is read
from its metrics.jsonl. The client is Python's standard library in its own process, so the difference is the server's
side: the admin port's handlers, the SSE stream, the metrics history, and the asks to agents and replay shards.

  ./troupe train --admin-port 8558 troupe.train.target-return=100000 troupe.train.max-wall-time=10m &
  python3 scripts/dashboard-cost.py --admin http://127.0.0.1:8558 --run-dir runs/<the run's id> [--pid <its JVM>]

Prints one line per window, then the mean steps/s with and without the client, their ratio, the ratio of each pair of
adjacent windows (a slow drift of the job's speed cancels within a pair), and the client's own CPU.
"""
import argparse
import collections
import http.client
import json
import os
import re
import subprocess
import statistics
import threading
import time
import urllib.parse

PAGE_READS = ["/troupe/status", "/troupe/agents", "/troupe/replay", "/troupe/serving/policies"]
REFRESH_S = 2.0


class PageClient:
    """The page's requests: an event stream read as it arrives, and the table reads every 2 s."""

    def __init__(self, admin):
        u = urllib.parse.urlsplit(admin)
        self.host, self.port = u.hostname, u.port
        self.stop = threading.Event()
        self.events = 0
        self.reads = 0
        self.threads = [threading.Thread(target=self._stream, daemon=True),
                        threading.Thread(target=self._poll, daemon=True)]

    def start(self):
        for t in self.threads:
            t.start()

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join(10)

    def _stream(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
        conn.request("GET", "/troupe/events", headers={"Accept": "text/event-stream"})
        r = conn.getresponse()
        while not self.stop.is_set():
            line = r.fp.readline()
            if not line:
                break
            if line.startswith(b"data:"):
                json.loads(line[5:])  # the page parses every update
                self.events += 1
        conn.close()

    def _poll(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        while not self.stop.is_set():
            started = time.monotonic()
            for path in PAGE_READS:
                conn.request("GET", path, headers={"Accept": "application/json"})
                r = conn.getresponse()
                json.loads(r.read())
                self.reads += 1
            self.stop.wait(max(0.0, REFRESH_S - (time.monotonic() - started)))
        conn.close()


THREAD = re.compile(r'^"([^"]*)".*?cpu=([0-9.]+)ms', re.M)


def thread_cpu(pid):
    """CPU ms of the JVM's threads so far, by thread group (the name without its trailing -N), from jcmd."""
    out = subprocess.run(["jcmd", str(pid), "Thread.print"], capture_output=True, text=True, check=True).stdout
    groups = collections.Counter()
    for name, ms in THREAD.findall(out):
        groups[re.sub(r"-\d+$", "", name)] += float(ms)
    return groups


def last_line(metrics):
    """The latest metrics line as (wall_s, env_steps); (-1, 0) before the first."""
    try:
        with open(metrics, "rb") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return -1, 0
    if not lines:
        return -1, 0
    d = json.loads(lines[-1])
    return d["wall_s"], d["env_steps"]


def next_line(metrics, after_wall, wait_s=60):
    """Waits for a metrics line later than after_wall (the job reports one per report-interval)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        wall, steps = last_line(metrics)
        if wall > after_wall:
            return wall, steps
        time.sleep(0.05)
    raise SystemExit(f"{metrics}: no new line in {wait_s} s: has the job ended? (give it a longer "
                     "troupe.train.max-wall-time)")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--admin", required=True, help="the job's admin URL, e.g. http://127.0.0.1:8558")
    p.add_argument("--run-dir", required=True, help="the job's run directory (its metrics.jsonl is read)")
    p.add_argument("--window", type=float, default=20, help="seconds per window (default 20)")
    p.add_argument("--pairs", type=int, default=3, help="pairs of windows, one with the client (default 3)")
    p.add_argument("--pid", type=int, help="the job's JVM: also measure the CPU of its Pekko dispatcher threads, "
                   "where the admin port's handlers run (the learner and the agents have dispatchers of their own)")
    a = p.parse_args()
    metrics = os.path.join(a.run_dir, "metrics.jsonl")
    order = []
    for i in range(a.pairs):
        order += [False, True] if i % 2 == 0 else [True, False]
    rates = {False: [], True: []}
    pair_ratios = []
    cpu = 0.0
    busy = 0.0
    dispatcher = {False: [], True: []}  # CPU ms per second of the default dispatcher's threads
    wall, steps = next_line(metrics, -1)
    for on in order:
        before = thread_cpu(a.pid) if a.pid else None
        client = PageClient(a.admin) if on else None
        cpu0 = time.process_time()
        t0 = time.monotonic()
        if client:
            client.start()
        time.sleep(a.window)
        if client:
            client.close()
            cpu += time.process_time() - cpu0
            busy += time.monotonic() - t0
        if a.pid:
            used = thread_cpu(a.pid)
            used.subtract(before)
            dispatcher[on].append(used["troupe-pekko.actor.default-dispatcher"] / (time.monotonic() - t0))
        wall1, steps1 = next_line(metrics, wall)
        rate = (steps1 - steps) / (wall1 - wall)
        rates[on].append(rate)
        if len(rates[True]) == len(rates[False]):  # a pair is complete: its two windows are adjacent in time
            pair_ratios.append(rates[True][-1] / rates[False][-1])
        print(f"{'page client' if on else 'no client  '}  {wall1 - wall:5.1f} s  {rate:9,.0f} env steps/s"
              + (f"  default dispatcher {dispatcher[on][-1]:6.1f} ms CPU/s" if a.pid else "")
              + (f"  ({client.events} events, {client.reads} reads)" if client else ""), flush=True)
        wall, steps = next_line(metrics, wall1)  # the next window starts on a fresh line
    off, on = statistics.mean(rates[False]), statistics.mean(rates[True])
    print(f"mean without a client: {off:,.0f} env steps/s; with the page's requests: {on:,.0f}; ratio {on / off:.3f}")
    print("with/without per pair of adjacent windows: " + ", ".join(f"{r:.2f}" for r in pair_ratios)
          + f"; median {statistics.median(pair_ratios):.3f}")
    if a.pid:
        d_off, d_on = statistics.mean(dispatcher[False]), statistics.mean(dispatcher[True])
        print(f"the default dispatcher's CPU (the admin port's handlers, the driver, cluster housekeeping): "
              f"{d_off:.1f} ms/s without a client, {d_on:.1f} ms/s with the page's requests: the page costs "
              f"{d_on - d_off:.1f} ms of CPU per second ({(d_on - d_off) / 10:.2f}% of one core)")
    print(f"the client's own CPU: {cpu / busy * 100:.2f}% of one core while it ran; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
