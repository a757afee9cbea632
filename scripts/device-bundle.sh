#!/bin/bash
# Packs what scripts/gpu-check.sh needs on a GPU machine that has a Python PyTorch with CUDA but no Java, no Maven and
# no network into .devbundle/ (git-ignored; the device tool carries it, 64 MiB at most):
#   jre.tar.xz      a jlinked JRE 17 (uncompressed image, xz-packed: smaller than jlink's own compression)
#   lib/            the learners' jars for DeviceCheck, without DJL's native jars (the machine's libtorch is used)
#   djl-jni-src/    DJL's PyTorch JNI sources (from scripts/djl-jni-source.sh) and jni-include/ (jni.h, jni_md.h
#                   from this JDK: a jlinked JRE has no headers), built there by build-djl-jni.sh
#   troupe.tar.xz   with --full only: the runnable troupe (cluster/target/troupe.jar and its lib/ less the CPU PyTorch
#                   and ONNX Runtime natives, jars re-stored uncompressed so xz packs across them) and conf/, for
#                   `troupe bench learner` and a GoToObject training run with the learner on the GPU
# Needs the built jars: mvn -o -B -DskipTests -pl learners -am package (with --full: -pl cluster -am), and DJL's JNI
# sources: scripts/djl-jni-source.sh. Usage: scripts/device-bundle.sh [--full]
set -euo pipefail
cd "$(dirname "$0")/.."
FULL=0; [[ "${1:-}" == --full ]] && FULL=1
B=.devbundle
[[ -f .djl-jni-src/include/ai_djl_pytorch_jni_PyTorchLibrary.h ]] \
  || { echo "no .djl-jni-src/: run scripts/djl-jni-source.sh first (it needs DJL's git repository)" >&2; exit 2; }
ls core/target/troupe-core-*.jar learners/target/troupe-learners-*.jar >/dev/null \
  || { echo "no built jars: mvn -o -B -DskipTests -pl learners -am package" >&2; exit 2; }
if [[ $FULL == 1 && ! -f cluster/target/troupe.jar ]]; then
  echo "no cluster/target/troupe.jar: mvn -o -B -DskipTests -pl cluster -am package" >&2; exit 2
fi
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
rm -rf "$B" && mkdir -p "$B/lib" "$B/conf" "$B/jni-include"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# the JRE: DeviceCheck's modules, or the container image's (scripts/image-base.py) for the whole troupe
MODULES=java.base,java.logging,java.management,jdk.unsupported,java.naming,java.xml,jdk.zipfs
if [[ $FULL == 1 ]]; then
  MODULES=$(sed -n '/^MODULES = /,/)$/p' scripts/image-base.py | grep -o '"[^"]*"' | tr -d '"\n')
fi
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files --compress=0 \
  --output "$WORK/jre"
tar -C "$WORK" -cf - jre | xz -6 -T0 > "$B/jre.tar.xz"
cp "$JAVA_HOME/include/jni.h" "$JAVA_HOME/include/linux/jni_md.h" "$B/jni-include/"
cp -r .djl-jni-src "$B/djl-jni-src"

# DeviceCheck's class path: the learners' dependencies (from the cluster module's) plus logback
(cd cluster && mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$WORK/cp")
cp core/target/troupe-core-*.jar learners/target/troupe-learners-*.jar "$B/lib/"
tr ':' '\n' < "$WORK/cp" \
  | grep -E '/(api-|pytorch-engine-|gson-|jna-|slf4j-api-|logback-classic-|logback-core-|commons-compress-|config-|jackson-core-|jackson-databind-|jackson-annotations-)[0-9]' \
  | xargs -I{} cp {} "$B/lib/"
cat > "$B/conf/logback.xml" <<'XML'
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n</pattern></encoder>
  </appender>
  <logger name="ai.djl.pytorch.jni" level="DEBUG"/>
  <root level="INFO"><appender-ref ref="OUT"/></root>
</configuration>
XML

if [[ $FULL == 1 ]]; then
  mkdir -p "$WORK/troupe/cluster/target/lib" "$WORK/troupe/conf"
  python3 - "$WORK/troupe/cluster/target" <<'PY'
import glob, os, shutil, sys, zipfile
# each jar re-stored without compression: xz then packs across all of them (about half the size of the jars)
out = sys.argv[1]
skip = ("pytorch-native-", "pytorch-jni-", "onnxruntime-")
jars = ["cluster/target/troupe.jar"] + sorted(glob.glob("cluster/target/lib/*.jar"))
for j in jars:
    name = os.path.basename(j)
    if name.startswith(skip):
        continue
    dest = os.path.join(out, name if j.endswith("troupe.jar") else os.path.join("lib", name))
    try:
        with zipfile.ZipFile(j) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as dst:
            for info in src.infolist():
                entry = zipfile.ZipInfo(info.filename, info.date_time)
                entry.external_attr = info.external_attr
                dst.writestr(entry, src.read(info.filename))
    except zipfile.BadZipFile as e:  # a jar Python's zipfile cannot re-read (a CRC it disputes): as it is
        print("kept as it is:", name, e)
        shutil.copyfile(j, dest)
PY
  cp conf/*.conf conf/jvm.options "$WORK/troupe/conf/"
  tar -C "$WORK" -cf - troupe | xz -6 -T0 > "$B/troupe.tar.xz"
fi
cp scripts/gpu-check.sh scripts/build-djl-jni.sh "$B/"
du -sh "$B"; du -sh "$B"/* | sort -h | tail -5
SIZE=$(du -sm "$B" | cut -f1)
if (( SIZE >= 64 )); then echo "WARNING: $B is $SIZE MiB: the device tool carries 64 MiB at most" >&2; fi
