#!/usr/bin/env python3
"""Checks Troupe's image without a Docker daemon (after mvn -B -Pimage package):
reads the image tarball's manifest and config back (entrypoint, user, ports, labels, every layer's size compressed and
uncompressed), unpacks the root file system and starts a one-node cluster from it in a chroot as the image's user
(needs root: chroot, and /proc and /dev bound in), then measures the time until Pekko Management's /health/ready
answers 200.

    sudo python3 scripts/image-check.py [cluster/target/jib-image.tar]
"""
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HOME, "cluster", "target", "jib-image.tar")
PORT = 17626


def main():
    with tarfile.open(IMAGE) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))[0]
        config = json.load(tar.extractfile(manifest["Config"]))
        c = config["config"]
        print("entrypoint:", c.get("Entrypoint"), " cmd:", c.get("Cmd"))
        print("user:", c.get("User"), " workdir:", c.get("WorkingDir"))
        print("ports:", sorted(c.get("ExposedPorts", {})))
        print("labels:", json.dumps(c.get("Labels", {}), sort_keys=True))
        print("env:", [e for e in c.get("Env", []) if not e.startswith("PATH=")])
        history = [h for h in config.get("history", []) if not h.get("empty_layer")]
        root = tempfile.mkdtemp(prefix="troupe-image-")
        os.chmod(root, 0o755)  # the image root, traversable by its user
        total_c = total_u = 0
        print("%-4s %12s %12s  %s" % ("layer", "compressed", "uncompressed", "created by"))
        for i, name in enumerate(manifest["Layers"]):
            raw = tar.extractfile(name).read()
            data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
            packed = len(raw) if raw[:2] == b"\x1f\x8b" else len(gzip.compress(raw, 6))
            total_c += packed
            total_u += len(data)
            what = history[i].get("created_by", "") if i < len(history) else ""
            with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                names = [m.name for m in layer.getmembers() if m.isfile()]
                where = sorted({"/".join(n.split("/")[:4]) for n in names})
                print("%-4d %10.1f MB %10.1f MB  %s: %s" % (i, packed / 1e6, len(data) / 1e6, what[:40],
                                                          ", ".join(where[:3]) + (" ..." if len(where) > 3 else "")))
                layer.extractall(root, filter="fully_trusted") if sys.version_info >= (3, 12) else layer.extractall(root)
        print("%-4s %10.1f MB %10.1f MB" % ("all", total_c / 1e6, total_u / 1e6))
    if os.geteuid() != 0:
        print("not root: the chroot start is skipped")
        return
    for d in ("proc", "dev"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    subprocess.run(["mount", "-t", "proc", "proc", os.path.join(root, "proc")], check=True)
    subprocess.run(["mount", "--rbind", "/dev", os.path.join(root, "dev")], check=True)
    user = c.get("User", "10001:10001")
    env = {e.split("=", 1)[0]: e.split("=", 1)[1] for e in c.get("Env", [])}
    cmd = [shutil.which("chroot"), "--userspec=" + (user if ":" in user else user + ":" + user), root] + c["Entrypoint"] + [
        "node", "--roles", "agent,replay,learner", "--management-port", str(PORT), "troupe.train.algorithm=ppo",
        "troupe.train.max-wall-time=60s", "troupe.train.runs-dir=/tmp/runs"]
    log = open(os.path.join(root, "tmp", "node.log"), "w")
    started = time.time()
    node = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    ready = None
    try:
        while time.time() - started < 120 and node.poll() is None:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/health/ready" % PORT, timeout=2) as r:
                    if r.status == 200:
                        ready = time.time() - started
                        break
            except Exception:
                pass
            time.sleep(0.2)
    finally:
        node.terminate()
        try:
            node.wait(60)
        except subprocess.TimeoutExpired:
            node.kill()
        subprocess.run(["umount", "-l", os.path.join(root, "dev")])
        subprocess.run(["umount", "-l", os.path.join(root, "proc")])
    print(open(os.path.join(root, "tmp", "node.log")).read()[-3000:])
    if ready is None:
        print("FAILED: the node from the image never answered /health/ready with 200")
        sys.exit(1)
    print("ready: /health/ready answered 200 %.1f s after the start (chroot as user %s)" % (ready, user))
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
