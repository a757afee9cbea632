#!/usr/bin/env python3
"""The dashboard's own cost to a training job, without a browser: a client that makes exactly the page's requests at
the page's rate (one server-sent event stream, GET /troupe/events, sending an update a second; and every 2 s
GET /troupe/status, /troupe/agents, /troupe/replay and /troupe/serving/policies) is switched on and off in alternating
windows (off, on, on, off, ... so a trend in the job's speed cancels), and the job's env steps/s in each window is read
from its metrics.jsonl. The client is Python's standard library in its own process, so the difference is the server's
side: the admin port's handlers, the SSE stream, the metrics history, and the asks to agents and replay shards.

  ./troupe train --admin-port 8558 troupe.train.target-return=100000 troupe.train.max-wall-time=10m &
  python3 scripts/dashboard-cost.py --admin http://127.0.0.1:8558 --run-dir runs/<the run's id>

Prints one line per window, then the mean steps/s with and without the client, their ratio, and the client's own CPU.
"""
import argparse
import http.client
import json
import os
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


def last_line(metrics):
    """The latest metrics line as (wall_s, env_steps)."""
    with open(metrics, "rb") as f:
        lines = f.read().splitlines()
    d = json.loads(lines[-1])
    return d["wall_s"], d["env_steps"]


def next_line(metrics, after_wall):
    """Waits for a metrics line later than after_wall."""
    while True:
        wall, steps = last_line(metrics)
        if wall > after_wall:
            return wall, steps
        time.sleep(0.05)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--admin", required=True, help="the job's admin URL, e.g. http://127.0.0.1:8558")
    p.add_argument("--run-dir", required=True, help="the job's run directory (its metrics.jsonl is read)")
    p.add_argument("--window", type=float, default=20, help="seconds per window (default 20)")
    p.add_argument("--pairs", type=int, default=3, help="pairs of windows, one with the client (default 3)")
    a = p.parse_args()
    metrics = os.path.join(a.run_dir, "metrics.jsonl")
    order = []
    for i in range(a.pairs):
        order += [False, True] if i % 2 == 0 else [True, False]
    rates = {False: [], True: []}
    cpu = 0.0
    busy = 0.0
    wall, steps = next_line(metrics, -1)
    for on in order:
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
        wall1, steps1 = next_line(metrics, wall)
        rate = (steps1 - steps) / (wall1 - wall)
        rates[on].append(rate)
        print(f"{'page client' if on else 'no client  '}  {wall1 - wall:5.1f} s  {rate:9,.0f} env steps/s"
              + (f"  ({client.events} events, {client.reads} reads)" if client else ""), flush=True)
        wall, steps = next_line(metrics, wall1)  # the next window starts on a fresh line
    off, on = statistics.mean(rates[False]), statistics.mean(rates[True])
    print(f"mean without a client: {off:,.0f} env steps/s; with the page's requests: {on:,.0f}; ratio {on / off:.3f}")
    print(f"the client's own CPU: {cpu / busy * 100:.2f}% of one core while it ran; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
