#!/usr/bin/env python3
"""Builds the base image of Troupe's container image locally (no registry, no Docker daemon): a docker-save tarball
(manifest.json, config.json, one layer) holding a jlinked Java runtime of this machine's JDK at /opt/java, the shared
libraries it and PyTorch's natives need (found with ldd), /bin/sh, and a non-root user troupe (10001).
Jib reads it as its base (from.image = tar://...: see cluster/pom.xml, profile image).

    python3 scripts/image-base.py [OUT.tar]          (default: cluster/target/image/base.tar)

In production use a public JRE base instead (README "Deploying on Kubernetes": eclipse-temurin:17-jre)."""
import glob
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HOME, "cluster", "target", "image", "base.tar")
MODULES = ("java.base,java.desktop,java.instrument,java.logging,java.management,java.naming,java.net.http,"
           "java.scripting,java.security.jgss,java.sql,java.xml,jdk.crypto.ec,jdk.httpserver,jdk.jfr,"
           "jdk.management,jdk.naming.dns,jdk.unsupported,jdk.zipfs")
UID = 10001


def java_home():
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    return os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("java"))))


def ldd(paths):
    """Every shared library the files need, as (path as ldd names it, real path)."""
    libs = {}
    for p in paths:
        out = subprocess.run(["ldd", p], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if "=>" in parts and len(parts) >= 3 and parts[2].startswith("/"):
                libs[parts[2]] = os.path.realpath(parts[2])
            elif parts and parts[0].startswith("/"):
                libs[parts[0]] = os.path.realpath(parts[0])
    return libs


def main():
    work = tempfile.mkdtemp(prefix="troupe-base-")
    root = os.path.join(work, "root")
    os.makedirs(root)
    runtime = os.path.join(root, "opt", "java")
    os.makedirs(os.path.dirname(runtime))
    subprocess.run([os.path.join(java_home(), "bin", "jlink"), "--add-modules", MODULES, "--strip-debug",
                    "--no-header-files", "--no-man-pages", "--output", runtime], check=True)
    elves = [os.path.join(runtime, "bin", "java"), os.path.realpath("/bin/sh")]
    # the JRE's libraries, but not the desktop ones (X11, sound, splash screen): a node has no display
    elves += [f for f in glob.glob(os.path.join(runtime, "lib", "**", "*.so"), recursive=True)
              if not any(x in f for x in ("xawt", "splashscreen", "jsound", "libawt.so", "fontmanager", "lcms",
                                          "javajpeg", "mlib_image", "jawt"))]
    # PyTorch's natives (DJL extracts them from the jar at run time) need these beside the JRE's
    elves += glob.glob(os.path.expanduser("~/.djl.ai/pytorch/*/*.so*"))
    sh = os.path.realpath("/bin/sh")
    files = {sh: sh}
    for name, real in ldd(elves).items():
        if not name.startswith(runtime) and "/.djl.ai/" not in real:
            # named through its real directory (/lib is a link to usr/lib here): links below stay links
            name = os.path.join(os.path.realpath(os.path.dirname(name)), os.path.basename(name))
            files[name] = real
            files[real] = real
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def add_dir(path, mode=0o755, owner=0):
            info = tarfile.TarInfo(path)
            info.type = tarfile.DIRTYPE
            info.mode = mode
            info.uid = info.gid = owner
            tar.addfile(info)

        def add_bytes(path, data, mode=0o644):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))

        done = set()

        def parents(path):
            parts = path.strip("/").split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in done:
                    done.add(d)
                    if os.path.islink("/" + d):
                        info = tarfile.TarInfo(d)
                        info.type = tarfile.SYMTYPE
                        info.linkname = os.readlink("/" + d)
                        tar.addfile(info)
                        target = os.path.normpath(os.path.join(os.path.dirname("/" + d), info.linkname))
                        parents(target + "/x")
                    else:
                        add_dir(d)

        for link in ("bin", "lib", "lib64"):
            if os.path.islink("/" + link):
                done.add(link)
                info = tarfile.TarInfo(link)
                info.type = tarfile.SYMTYPE
                info.linkname = os.readlink("/" + link)
                tar.addfile(info)
        for d in ("etc", "tmp", "opt", "home", "home/troupe"):
            done.add(d)
            add_dir(d, 0o1777 if d == "tmp" else 0o755, UID if d == "home/troupe" else 0)
        for path in sorted(files):
            parents(path)
            if path != files[path]:
                if path.strip("/") in done:
                    continue
                done.add(path.strip("/"))
                info = tarfile.TarInfo(path.strip("/"))
                info.type = tarfile.SYMTYPE
                info.linkname = files[path]
                tar.addfile(info)
            elif path.strip("/") not in done:
                done.add(path.strip("/"))
                tar.add(path, arcname=path.strip("/"), recursive=False)
        sh_link = os.path.join(os.path.realpath("/bin"), "sh").strip("/")
        if sh_link not in done:
            done.add(sh_link)
            info = tarfile.TarInfo(sh_link)
            info.type = tarfile.SYMTYPE
            info.linkname = sh
            tar.addfile(info)
        for dirpath, dirnames, filenames in os.walk(runtime):
            rel = os.path.relpath(dirpath, root)
            if rel not in done:
                add_dir(rel)
            for f in sorted(filenames):
                tar.add(os.path.join(dirpath, f), arcname=os.path.join(rel, f), recursive=False)
        add_bytes("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\ntroupe:x:%d:%d:troupe:/home/troupe:/bin/sh\n"
                  % (UID, UID))
        add_bytes("etc/group", b"root:x:0:\ntroupe:x:%d:\n" % UID)
        add_bytes("etc/hosts", b"127.0.0.1 localhost\n::1 localhost\n")
        add_bytes("etc/nsswitch.conf", b"hosts: files dns\npasswd: files\ngroup: files\n")
    data = layer.getvalue()
    diff_id = "sha256:" + hashlib.sha256(data).hexdigest()
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Env": ["PATH=/opt/java/bin:/usr/local/bin:/usr/bin:/bin", "JAVA_HOME=/opt/java",
                                 "HOME=/home/troupe"], "User": str(UID), "WorkingDir": "/home/troupe"},
              "rootfs": {"type": "layers", "diff_ids": [diff_id]},
              "history": [{"created_by": "scripts/image-base.py: jlinked JRE (" + MODULES + "), ldd's libraries, "
                                         "/bin/sh, user troupe"}]}
    config_bytes = json.dumps(config).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    os.makedirs(os.path.dirname(os.path.abspath(OUT)), exist_ok=True)
    with tarfile.open(OUT, "w") as out:
        for name, payload in ((config_name, config_bytes), ("layer.tar", data),
                              ("manifest.json", json.dumps([{"Config": config_name, "RepoTags": ["troupe-base:local"],
                                                             "Layers": ["layer.tar"]}]).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            out.addfile(info, io.BytesIO(payload))
    shutil.rmtree(work)
    print("image-base: %s (%.1f MB layer, %d libraries)" % (OUT, len(data) / 1e6, len(files)))


if __name__ == "__main__":
    main()
