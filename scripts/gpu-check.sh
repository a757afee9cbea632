#!/bin/bash
# GPU check for Troupe's learners on a machine with an NVIDIA GPU and a Python PyTorch with CUDA, but no Java, no
# Maven and no network. Made into .devbundle/ by scripts/device-bundle.sh; run there as
#   bash .devbundle/gpu-check.sh            (the device tool: carry [".devbundle"], timeout_s 600)
# Phases, each with its own timeout, all output under $OUT (the device tool brings it back):
#   machine      GPU, Python torch, compilers                                   -> gpu-check.log
#   jni          DJL's JNI built from DJL's source against this machine's libtorch (build-djl-jni.sh): DJL's
#                published JNI is compiled for libtorch 2.7.1 and fails over another version in torch::from_blob
#                                                                               -> build-djl-jni.log (+ jni-logs/)
#   devicecheck  DeviceCheck on the GPU: same update GPU vs CPU, data-parallel, weights round trip, updates/s on both
#                for the three default models, plus throughput-only transformers (LARGE_TRANSFORMERS)
#                                                                               -> devicecheck.log, devicecheck.json
#   bench        `troupe bench learner --device gpu` and `--device cpu` (needs troupe.tar.xz: device-bundle.sh --full)
#                                                                               -> bench-learner-{gpu,cpu}.{log,json}
#   train        GoToObject (conf/gotoobject.conf) with the learner on the GPU, agents on the CPU, capped at
#                TRAIN_MINUTES (needs troupe.tar.xz)                            -> train.log, train-run/
# GPU_CHECK_PHASES picks phases (default: machine jni devicecheck bench, about 5 minutes; train goes in a second call,
# GPU_CHECK_PHASES=train, on the still-warm machine: it reuses the JRE and the JNI built under GPU_CHECK_WORK).
# Exit 0 when every phase run passed.
# With no C++ compiler on the machine, the jni phase packs this libtorch's headers into $OUT/torch-include.tar.xz
# so that the JNI can be built elsewhere (TORCH_INCLUDE/TORCH_LIB, see build-djl-jni.sh) and brought back.
B="$(cd "$(dirname "$0")" && pwd)"
OUT=${OUT:-/tmp/gpu-check-out}; mkdir -p "$OUT"
W=${GPU_CHECK_WORK:-/tmp/gpu-check}; mkdir -p "$W"
exec > >(tee "$OUT/gpu-check.log") 2>&1
T0=$(date +%s)
PHASES=${GPU_CHECK_PHASES:-machine jni devicecheck bench}
[[ -f "$B/troupe.tar.xz" ]] || PHASES=$(sed -E 's/\b(bench|train)\b//g' <<< "$PHASES")
LARGE_TRANSFORMERS=${LARGE_TRANSFORMERS:-128,4,6,512 1024,16,8,4096}   # conf/gotoobject-large.conf; ~100M params
TRAIN_MINUTES=${TRAIN_MINUTES:-4}
RESULT=0
phase() { echo; echo "=== [$(( $(date +%s) - T0 )) s] $*"; }
has() { [[ " $PHASES " == *" $1 "* ]]; }
verdict() { echo "$1: $2" | tee -a "$OUT/summary.txt"; [[ "$2" == ok* || "$2" == skipped* ]] || RESULT=1; }
untar() { python3 -c 'import sys,tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2" \
  || tar -C "$2" -xJf "$1"; }
: > "$OUT/summary.txt"
echo "phases: $PHASES"

if has machine; then
  phase machine
  nvidia-smi -L; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c "import torch;print('python torch', torch.__version__, 'cuda', torch.version.cuda, \
'available', torch.cuda.is_available(), 'cxx11 abi', torch._C._GLIBCXX_USE_CXX11_ABI)"
  echo "cores $(nproc), memory $(free -g | awk '/Mem/{print $2}') GiB, $(uname -r), $(ldd --version | head -1)"
  for t in g++ c++ clang++ cmake make nm xz; do printf '  %-8s %s\n' "$t" "$(command -v "$t" || echo missing)"; done
fi

phase jre
[[ -x "$W/jre/bin/java" ]] || untar "$B/jre.tar.xz" "$W"
JAVA="$W/jre/bin/java"
"$JAVA" -version 2>&1 | head -1 || { verdict jre "FAILED: no runnable java from jre.tar.xz"; exit 1; }

if has jni; then
  phase "jni: build DJL's JNI against this libtorch (timeout ${JNI_TIMEOUT:-300} s)"
  timeout "${JNI_TIMEOUT:-300}" bash "$B/build-djl-jni.sh" "$W/djl-jni" > "$OUT/build-djl-jni.log" 2>&1
  rc=$?
  cat "$OUT/build-djl-jni.log"
  if [[ $rc != 0 ]]; then
    mkdir -p "$OUT/jni-logs"; cp "$W"/djl-jni/obj/*.log "$OUT/jni-logs/" 2>/dev/null
    case $rc in
      124) verdict jni "FAILED: timed out after ${JNI_TIMEOUT:-300} s (raise JNI_TIMEOUT)";;
      3) verdict jni "FAILED: no C++ compiler here; this libtorch's headers are in torch-include.tar.xz"
         python3 - "$OUT/torch-include.tar.xz" <<'PY'
import os, sys, tarfile, torch
d = os.path.dirname(torch.__file__)
with tarfile.open(sys.argv[1], "w:xz") as t:
    t.add(os.path.join(d, "include"), arcname="include")
print("packed", os.path.getsize(sys.argv[1]), "bytes of", torch.__version__, "headers")
PY
         ;;
      *) verdict jni "FAILED (exit $rc): see build-djl-jni.log and jni-logs/";;
    esac
    exit 1
  fi
  verdict jni "ok ($(grep -o 'built .*' "$OUT/build-djl-jni.log"))"
fi
[[ -f "$W/djl-jni/djl-env.sh" ]] || { verdict jni "FAILED: no $W/djl-jni/djl-env.sh (run the jni phase)"; exit 1; }
. "$W/djl-jni/djl-env.sh"
# DJL finds CUDA through JNA's libcudart: the wheel's nvidia/ packages or a system CUDA
SITE=$(dirname "$(dirname "$PYTORCH_LIBRARY_PATH")")
CUDART=$(find "$SITE/nvidia" /usr/local/cuda/lib64 -name 'libcudart.so*' 2>/dev/null | head -1)
[[ -n "$CUDART" ]] && CUDART=$(dirname "$CUDART")
echo "PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH PYTORCH_VERSION=$PYTORCH_VERSION PYTORCH_FLAVOR=$PYTORCH_FLAVOR"
echo "cudart: ${CUDART:-none found}"
export OMP_NUM_THREADS=${TORCH_THREADS:-1}
JOPTS=(-XX:+UseSerialGC -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="${TORCH_THREADS:-1}"
  -Djna.library.path="$CUDART")

if has devicecheck; then
  phase "devicecheck (timeout ${DEVICECHECK_TIMEOUT:-300} s)"
  ARGS=(--seconds "${SECONDS_PER_CASE:-3}" --json "$OUT/devicecheck.json")
  for t in $LARGE_TRANSFORMERS; do ARGS+=(--transformer "$t"); done
  timeout "${DEVICECHECK_TIMEOUT:-300}" "$JAVA" "${JOPTS[@]}" -cp "$B/conf:$B/lib/*" \
    io.troupe.learners.bench.DeviceCheck "${ARGS[@]}" > "$OUT/devicecheck.log" 2>&1
  rc=$?
  grep -v DEBUG "$OUT/devicecheck.log" | tail -70
  grep -E "Loading native|jni|undefined symbol|UnsatisfiedLink" "$OUT/devicecheck.log" | head -10
  if [[ $rc == 0 ]]; then verdict devicecheck "ok ($(grep -m1 '^engine' "$OUT/devicecheck.log"))"
  else verdict devicecheck "FAILED (exit $rc)"; fi
fi

if has bench || has train; then
  phase troupe
  [[ -d "$W/troupe" ]] || untar "$B/troupe.tar.xz" "$W"
  T="$W/troupe"
  TROUPE=("$JAVA" "${JOPTS[@]}" --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED -Dtroupe.home="$T" -cp "$T/cluster/target/troupe.jar:$T/cluster/target/lib/*"
    io.troupe.cluster.cli.TroupeCli)
  export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864
fi

if has bench; then
  for d in gpu cpu; do
    phase "bench learner --device $d (timeout 150 s)"
    (cd "$T" && timeout 150 "${TROUPE[@]}" bench learner --device "$d" --seconds "${BENCH_SECONDS:-5}" \
      --json "$OUT/bench-learner-$d.json") > "$OUT/bench-learner-$d.log" 2>&1
    rc=$?
    grep -v DEBUG "$OUT/bench-learner-$d.log" | tail -8
    if [[ $rc == 0 ]]; then verdict "bench-$d" ok; else verdict "bench-$d" "FAILED (exit $rc)"; fi
  done
fi

if has train; then
  phase "train GoToObject, learner on the GPU, agents on the CPU (${TRAIN_MINUTES} min cap)"
  (cd "$T" && timeout $(( TRAIN_MINUTES * 60 + 60 )) "${TROUPE[@]}" train --config conf/gotoobject.conf \
    --run-dir "$W/runs" troupe.learner.device=gpu "troupe.train.max-wall-time=${TRAIN_MINUTES} minutes") \
    > "$OUT/train.log" 2>&1
  rc=$?
  grep -v DEBUG "$OUT/train.log" | tail -25
  RUN=$(ls -d "$W"/runs/*/ 2>/dev/null | tail -1)
  if [[ -n "$RUN" ]]; then
    mkdir -p "$OUT/train-run"
    find "$RUN" -maxdepth 1 -type f -size -4M -exec cp {} "$OUT/train-run/" \;
  fi
  SUMMARY=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print("solved", s.get("solved"),
"stop", s.get("stop_reason"), "env_steps", s.get("env_steps"), "wall_s", s.get("wall_s"))' \
    "$OUT/train-run/summary.json" 2>/dev/null)
  if [[ $rc == 0 && "$SUMMARY" == "solved True"* ]]; then verdict train "ok ($SUMMARY)"
  else verdict train "FAILED (exit $rc; ${SUMMARY:-no summary.json})"; fi
fi

phase "done in $(( $(date +%s) - T0 )) s"
cat "$OUT/summary.txt"
exit $RESULT
