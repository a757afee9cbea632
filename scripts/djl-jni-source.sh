#!/bin/bash
# Copies the sources of DJL's PyTorch JNI (libdjl_torch.so) at the DJL version Troupe uses into .djl-jni-src/
# (git-ignored: DJL's code is never committed here), with the JNI header javac generates from DJL's PyTorchLibrary.
# scripts/build-djl-jni.sh compiles them against a libtorch; scripts/device-bundle.sh carries them to a GPU machine.
# Usage: scripts/djl-jni-source.sh [DJL_GIT_DIR] [TAG]; DJL_GIT_DIR is a clone (bare or not) of DJL's repository
# (default: the one the session's fetch tool makes), TAG defaults to v<djl.version of the root pom>.
set -euo pipefail
cd "$(dirname "$0")/.."
GIT_DIR_DJL=${1:-/work/.mirror/deepjavalibrary+djl/repo}
VERSION=$(sed -n 's:.*<djl.version>\(.*\)</djl.version>.*:\1:p' pom.xml | head -1)
TAG=${2:-v$VERSION}
NATIVE=engines/pytorch/pytorch-native
git --git-dir="$GIT_DIR_DJL" rev-parse --verify -q "$TAG^{commit}" >/dev/null \
  || { echo "no tag $TAG in $GIT_DIR_DJL (need DJL's repository with its tags)" >&2; exit 2; }
OUTDIR=.djl-jni-src
rm -rf "$OUTDIR" && mkdir -p "$OUTDIR/src" "$OUTDIR/include/djl" "$OUTDIR/java"
for f in $(git --git-dir="$GIT_DIR_DJL" ls-tree -r --name-only "$TAG" "$NATIVE/src/main/native"); do
  git --git-dir="$GIT_DIR_DJL" show "$TAG:$f" > "$OUTDIR/src/$(basename "$f")"
done
git --git-dir="$GIT_DIR_DJL" show "$TAG:api/src/main/native/djl/utils.h" > "$OUTDIR/include/djl/utils.h"
for f in CMakeLists.txt LICENSE; do
  git --git-dir="$GIT_DIR_DJL" show "$TAG:$NATIVE/$f" > "$OUTDIR/$f" 2>/dev/null \
    || git --git-dir="$GIT_DIR_DJL" show "$TAG:$f" > "$OUTDIR/$f"
done
git --git-dir="$GIT_DIR_DJL" show "$TAG:engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java" \
  > "$OUTDIR/java/PyTorchLibrary.java"
javac -h "$OUTDIR/include" -d "$OUTDIR/java/classes" "$OUTDIR/java/PyTorchLibrary.java"
rm -rf "$OUTDIR/java/classes"
echo "DJL $TAG $(git --git-dir="$GIT_DIR_DJL" rev-parse "$TAG^{commit}")" > "$OUTDIR/VERSION"
cat "$OUTDIR/VERSION"; du -sh "$OUTDIR"
