#!/usr/bin/env python3
"""Checks Troupe's image without a Docker daemon (after mvn -B -Pimage package):
reads the image tarball's manifest and config back (entrypoint, user, ports, labels, every layer's name and size
compressed and uncompressed), checks the layer split (PyTorch's natives in a layer of their own below Troupe's code,
Troupe's classes in a small one; exits 1 otherwise), unpacks the root file system and starts a one-node cluster from it
in a chroot as the image's user (needs root: chroot, and /proc and /dev bound in), then measures the time until Pekko
Management's /health/ready answers 200.

    sudo python3 scripts/image-check.py [cluster/target/jib-image.tar]
    python3 scripts/image-check.py [cluster/target/jib-image.tar]      (not root: config and layers only)
    python3 scripts/image-check.py --since=OLD.tar [IMAGE.tar]        (also: which layers changed since OLD.tar)
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
ARGS = [a for a in sys.argv[1:] if not a.startswith("--since=")]
IMAGE = ARGS[0] if ARGS else os.path.join(HOME, "cluster", "target", "jib-image.tar")
# --since=OLD.tar: an earlier build of the image; the check says which layers differ from it (by content digest)
SINCE = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--since=")), None)
PORT = 17626
# the layers a code-only change rebuilds (cluster/pom.xml's layer filters name them): together at most this, compressed
CODE_LAYERS = ("troupe modules", "troupe resources", "troupe classes")
CODE_LAYERS_MAX_MB = 5.0


class Layer:
    def __init__(self, index, name, packed, size, files):
        self.index, self.name, self.packed, self.size, self.files = index, name, packed, size, files


def check_layers(layers):
    """The layer split of cluster/pom.xml: PyTorch's natives in a layer of their own, the largest of the application's
    layers and below Troupe's code; Troupe's classes in a small layer of their own; a code-only change within a few
    MB. Exits 1 naming what differs."""
    problems = []
    by_name = {l.name: l for l in layers}
    for name in ("pytorch natives", "troupe classes"):
        if name not in by_name:
            problems.append("no layer named '%s' (layers: %s)" % (name, [l.name for l in layers]))
    if not problems:
        natives, classes = by_name["pytorch natives"], by_name["troupe classes"]
        torch = [f for l in layers for f in l.files if os.path.basename(f).startswith("pytorch-native-")]
        if not torch or any(f not in natives.files for f in torch):
            problems.append("PyTorch's native jar is not (only) in the 'pytorch natives' layer: %s" % torch)
        if any(not os.path.basename(f).startswith("pytorch-") for f in natives.files):
            problems.append("'pytorch natives' holds other files: %s" % natives.files)
        app = [l for l in layers if l.name]
        if max(app, key=lambda l: l.packed) is not natives:
            problems.append("'pytorch natives' (%.1f MB) is not the largest of the application's layers" % (
                natives.packed / 1e6))
        if any(not f.startswith("/opt/troupe/app/classes/") for f in classes.files):
            problems.append("'troupe classes' holds files outside /opt/troupe/app/classes")
        if any(f.startswith("/opt/troupe/app/classes/") for l in layers if l is not classes for f in l.files):
            problems.append("Troupe's classes are spread over more than the 'troupe classes' layer")
        if natives.index > classes.index:
            problems.append("'pytorch natives' (layer %d) lies above 'troupe classes' (layer %d): a code change would "
                            "unpack the natives again" % (natives.index, classes.index))
        code = sum(l.packed for l in layers if l.name in CODE_LAYERS) / 1e6
        print("a code-only change rebuilds %s: %.1f MB compressed (at most %.0f MB)" % (
            ", ".join(CODE_LAYERS), code, CODE_LAYERS_MAX_MB))
        if code > CODE_LAYERS_MAX_MB:
            problems.append("the layers a code change rebuilds take %.1f MB, over %.0f MB" % (code, CODE_LAYERS_MAX_MB))
        print("PyTorch's natives: layer %d, %.1f MB compressed, %.1f MB uncompressed" % (
            natives.index, natives.packed / 1e6, natives.size / 1e6))
    if problems:
        print("FAILED: the image's layers are not split as cluster/pom.xml says:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("layers: split as cluster/pom.xml says")


def digests(path):
    """(layer name, uncompressed digest) of every layer of the image tarball at path."""
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))[0]
        config = json.load(tar.extractfile(manifest["Config"]))
    history = [h for h in config.get("history", []) if not h.get("empty_layer")]
    return [(history[i].get("comment", "") if i < len(history) else "", d)
            for i, d in enumerate(config["rootfs"]["diff_ids"])]


def changed_since(old, layers):
    """Prints the layers whose content differs from the same-named layer of the image at old."""
    before = dict(digests(old))
    now = digests(IMAGE)
    changed = [l for l, (name, d) in zip(layers, now) if before.get(name) != d]
    print("changed since %s: %s; %.1f MB compressed to push and pull" % (
        old, ", ".join(l.name or "(base)" for l in changed) or "nothing", sum(l.packed for l in changed) / 1e6))


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
        layers = []
        print("%-5s %-28s %12s %14s  %s" % ("layer", "name", "compressed", "uncompressed", "contents"))
        for i, name in enumerate(manifest["Layers"]):
            raw = tar.extractfile(name).read()
            data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
            packed = len(raw) if raw[:2] == b"\x1f\x8b" else len(gzip.compress(raw, 6))
            # Jib names each layer in its history comment; the base's layer has none
            what = history[i].get("comment", "") if i < len(history) else ""
            with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                files = ["/" + m.name.lstrip("./") for m in layer.getmembers() if m.isfile()]
                where = sorted({"/".join(n.split("/")[:5]) for n in files})
                print("%-5d %-28s %9.1f MB %11.1f MB  %s" % (i, what or "(base)", packed / 1e6, len(data) / 1e6,
                                                         ", ".join(where[:3]) + (" ..." if len(where) > 3 else "")))
                layers.append(Layer(i, what, packed, len(data), files))
                layer.extractall(root, filter="fully_trusted") if sys.version_info >= (3, 12) else layer.extractall(root)
        print("%-5s %-28s %9.1f MB %11.1f MB" % ("all", "", sum(l.packed for l in layers) / 1e6,
                                                 sum(l.size for l in layers) / 1e6))
    check_layers(layers)
    if SINCE:
        changed_since(SINCE, layers)
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
