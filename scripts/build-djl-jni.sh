#!/bin/bash
# Builds DJL's PyTorch JNI (libdjl_torch.so) from DJL's source against the libtorch of THIS machine, so that DJL runs
# over a libtorch other than the 2.7.1 its published JNI was compiled for (libtorch's C++ ABI changes between
# versions: the published JNI over 2.11 fails in torch::from_blob). One g++ command per source file, no cmake.
#
# Usage: scripts/build-djl-jni.sh [OUT_DIR]     (default OUT_DIR: /tmp/djl-jni)
# Writes OUT_DIR/libdjl_torch.so, puts it where DJL 0.36 looks for it (ENGINE_CACHE_DIR/pytorch/
# <version>-<flavor>-linux-x86_64/<djl version>-libdjl_torch.so) and writes OUT_DIR/djl-env.sh, which exports
# PYTORCH_LIBRARY_PATH, PYTORCH_VERSION, PYTORCH_FLAVOR and ENGINE_CACHE_DIR for the JVM: `. OUT_DIR/djl-env.sh`.
#
# Where things come from (each can be set in the environment):
#   DJL_JNI_SRC     DJL's JNI sources + generated header: scripts/djl-jni-source.sh makes them (.djl-jni-src/, or
#                   djl-jni-src/ beside this script in the GPU bundle)
#   PYTHON          the Python whose torch is used (default python3): TORCH_INCLUDE, TORCH_LIB, TORCH_VERSION,
#                   TORCH_CXX11_ABI and TORCH_CUDA come from it unless set
#   TORCH_INCLUDE   libtorch's header dirs, ':'-separated (include and include/torch/csrc/api/include)
#   TORCH_LIB       the dir holding libtorch.so, libtorch_cpu.so, libc10.so (and libtorch_cuda.so on CUDA builds)
#   TORCH_VERSION   e.g. 2.11.0 (names DJL's cache dir; 1.13.x/2.0.x/2.1.x also select DJL's V1_13_X code path)
#   TORCH_CXX11_ABI 0 or 1, must match libtorch (torch._C._GLIBCXX_USE_CXX11_ABI; else read from libc10.so)
#   TORCH_CUDA      the CUDA version libtorch was built with, empty for CPU (names the flavour: cu130 or cpu)
#   JNI_INCLUDE     the dir with jni.h (and linux/jni_md.h or jni_md.h): default $JAVA_HOME/include, the javac on
#                   PATH, or jni-include/ beside this script (a jlinked JRE has no include/)
#   CXX, JOBS       the compiler (default: the first of g++, c++, clang++) and parallel compiles (default nproc)
#   DJL_VERSION     DJL's version (default 0.36.0), names the JNI file; ENGINE_CACHE_DIR (default OUT_DIR/cache)
# Exit codes: 0 built; 2 missing input (sources, torch, JNI headers); 3 no C++ compiler; 4 compile or link failed.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT_DIR="$(mkdir -p "${1:-/tmp/djl-jni}" && cd "${1:-/tmp/djl-jni}" && pwd)"
DJL_VERSION=${DJL_VERSION:-0.36.0}
PYTHON=${PYTHON:-python3}
die() { echo "build-djl-jni: $2" >&2; exit "$1"; }

# --- DJL's sources
if [[ -z "${DJL_JNI_SRC:-}" ]]; then
  for d in "$HERE/djl-jni-src" "$HERE/../.djl-jni-src"; do [[ -d "$d/src" ]] && DJL_JNI_SRC="$d" && break; done
fi
[[ -n "${DJL_JNI_SRC:-}" && -f "$DJL_JNI_SRC/include/ai_djl_pytorch_jni_PyTorchLibrary.h" ]] \
  || die 2 "no DJL JNI sources (DJL_JNI_SRC=${DJL_JNI_SRC:-unset}): run scripts/djl-jni-source.sh first"
echo "DJL JNI sources: $DJL_JNI_SRC ($(cat "$DJL_JNI_SRC/VERSION" 2>/dev/null))"

# --- libtorch: from the Python's torch unless given
if [[ -z "${TORCH_INCLUDE:-}" || -z "${TORCH_LIB:-}" || -z "${TORCH_VERSION:-}" || -z "${TORCH_CXX11_ABI:-}" ]]; then
  INFO=$("$PYTHON" - <<'PY' 2>&1
import os, torch
d = os.path.dirname(torch.__file__)
inc = [os.path.join(d, "include"), os.path.join(d, "include", "torch", "csrc", "api", "include")]
try:
    from torch.utils.cpp_extension import include_paths
    inc = [p for p in include_paths() if os.path.isdir(p)] or inc
except Exception:
    pass
lib = os.path.join(d, "lib")
if not os.path.exists(os.path.join(lib, "libtorch_cpu.so")):
    try:
        from torch.utils.cpp_extension import library_paths
        lib = library_paths()[0]
    except Exception:
        pass
print("INC=" + ":".join(inc))
print("LIB=" + lib)
print("VER=" + torch.__version__.split("+")[0])
print("ABI=" + str(int(torch._C._GLIBCXX_USE_CXX11_ABI)))
print("CUDA=" + (torch.version.cuda or ""))
PY
  ) || die 2 "cannot read libtorch's location from $PYTHON's torch: $INFO"
  val() { sed -n "s/^$1=//p" <<< "$INFO"; }
  TORCH_INCLUDE=${TORCH_INCLUDE:-$(val INC)}; TORCH_LIB=${TORCH_LIB:-$(val LIB)}
  TORCH_VERSION=${TORCH_VERSION:-$(val VER)}; TORCH_CXX11_ABI=${TORCH_CXX11_ABI:-$(val ABI)}
  TORCH_CUDA=${TORCH_CUDA-$(val CUDA)}
fi
TORCH_CUDA=${TORCH_CUDA:-}
[[ -f "$TORCH_LIB/libtorch_cpu.so" || -f "$TORCH_LIB/libtorch.so" ]] || die 2 "no libtorch.so in TORCH_LIB=$TORCH_LIB"
IFS=: read -r -a INC_DIRS <<< "$TORCH_INCLUDE"
FOUND=""; for d in "${INC_DIRS[@]}"; do [[ -f "$d/torch/script.h" ]] && FOUND=1; done
[[ -n "$FOUND" ]] || die 2 "no torch/script.h under TORCH_INCLUDE=$TORCH_INCLUDE (libtorch's headers)"
if [[ -z "$TORCH_CXX11_ABI" ]]; then
  if nm -D "$TORCH_LIB/libc10.so" 2>/dev/null | grep -q '__cxx11'; then TORCH_CXX11_ABI=1; else TORCH_CXX11_ABI=0; fi
fi
# DJL names its cache dir after an X.Y.Z version: 2.11.0+cu130 and Debian's 1.13.0a0 lose their suffixes
[[ "$TORCH_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] && TORCH_VERSION=${BASH_REMATCH[0]}
FLAVOR=cpu
[[ -n "$TORCH_CUDA" ]] && FLAVOR="cu$(tr -d . <<< "$TORCH_CUDA")"
echo "libtorch $TORCH_VERSION ($FLAVOR), _GLIBCXX_USE_CXX11_ABI=$TORCH_CXX11_ABI"
echo "  headers: $TORCH_INCLUDE"
echo "  libs:    $TORCH_LIB"

# --- JNI headers
if [[ -z "${JNI_INCLUDE:-}" ]]; then
  CANDIDATES=()
  [[ -n "${JAVA_HOME:-}" ]] && CANDIDATES+=("$JAVA_HOME/include")
  command -v javac >/dev/null && CANDIDATES+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")/include")
  CANDIDATES+=("$HERE/jni-include")
  for d in "${CANDIDATES[@]}"; do [[ -f "$d/jni.h" ]] && JNI_INCLUDE="$d" && break; done
fi
[[ -n "${JNI_INCLUDE:-}" && -f "$JNI_INCLUDE/jni.h" ]] \
  || die 2 "no jni.h (JNI_INCLUDE=${JNI_INCLUDE:-unset}; set JAVA_HOME to a JDK or bring jni.h and jni_md.h)"
echo "  jni.h:   $JNI_INCLUDE"

# --- compiler
if [[ -z "${CXX:-}" ]]; then
  for c in g++ c++ clang++; do command -v "$c" >/dev/null && CXX=$c && break; done
fi
if [[ -z "${CXX:-}" ]] || ! command -v "$CXX" >/dev/null; then
  CMAKE=$(command -v cmake >/dev/null && echo "cmake is here, but it only drives a compiler" || echo "no cmake either")
  die 3 "no C++ compiler (looked for \$CXX, g++, c++, clang++; $CMAKE). Install one (apt-get install g++), or build \
elsewhere against this libtorch's headers (TORCH_INCLUDE) and libraries (TORCH_LIB) and bring libdjl_torch.so"
fi
echo "compiler: $CXX ($("$CXX" --version | head -1))"

DEFINES=(-D_GLIBCXX_USE_CXX11_ABI="$TORCH_CXX11_ABI" -DNDEBUG)
[[ "$TORCH_VERSION" =~ ^(1\.13\.|2\.0\.|2\.1\.) ]] && DEFINES+=(-DV1_13_X)   # as DJL's build.sh does
# DJL's USE_CUDA only adds a separate CUDA stream for TorchScript inference and emptyCache (needs the CUDA toolkit's
# headers); CUDA tensors and ops work without it, through libtorch's dispatcher. DJL_JNI_USE_CUDA=1 turns it on.
[[ "${DJL_JNI_USE_CUDA:-0}" == 1 ]] && DEFINES+=(-DUSE_CUDA)
INCLUDES=(-I"$DJL_JNI_SRC/src" -I"$DJL_JNI_SRC/include" -I"$JNI_INCLUDE")
[[ -d "$JNI_INCLUDE/linux" ]] && INCLUDES+=(-I"$JNI_INCLUDE/linux")
for d in "${INC_DIRS[@]}"; do INCLUDES+=(-isystem "$d"); done
OBJ="$OUT_DIR/obj"; rm -rf "$OBJ"; mkdir -p "$OBJ"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# cc.sh SOURCE compiles one file into OBJ/<name>.o, its messages into OBJ/<name>.log
write_cc() { # std
  { echo '#!/bin/bash'; echo 'b=$(basename "$1" .cc)'
    printf '%q ' "$CXX" -std="$1" -O2 -fPIC -w "${DEFINES[@]}" "${INCLUDES[@]}"
    printf -- '-c "$1" -o %q/"$b".o > %q/"$b".log 2>&1\n' "$OBJ" "$OBJ"; } > "$OBJ/cc.sh"
}
SOURCES=("$DJL_JNI_SRC"/src/*.cc)
PROBE="$DJL_JNI_SRC/src/ai_djl_pytorch_jni_cache.cc"
START=$(date +%s)
# the first file decides the language standard: newer libtorch headers may need C++20
STD=""
for s in ${TORCH_CXX_STD:-c++17 c++20}; do
  write_cc "$s"
  if bash "$OBJ/cc.sh" "$PROBE"; then STD=$s; break; fi
  echo "  -std=$s: $(grep -m1 'error' "$OBJ/ai_djl_pytorch_jni_cache.log")"
done
if [[ -z "$STD" ]]; then
  tail -30 "$OBJ/ai_djl_pytorch_jni_cache.log" >&2
  die 4 "compiling ai_djl_pytorch_jni_cache.cc failed (log: $OBJ/ai_djl_pytorch_jni_cache.log)"
fi
echo "compiling ${#SOURCES[@]} files with -std=$STD, $JOBS at a time"
printf '%s\n' "${SOURCES[@]}" | grep -v '/ai_djl_pytorch_jni_cache.cc$' | xargs -P "$JOBS" -n 1 bash "$OBJ/cc.sh"
FAILED=0
for s in "${SOURCES[@]}"; do
  b=$(basename "$s" .cc)
  if [[ ! -f "$OBJ/$b.o" ]]; then
    FAILED=1; echo "--- $b.cc failed:" >&2; grep -m5 -A3 'error' "$OBJ/$b.log" >&2
  fi
done
[[ $FAILED == 0 ]] || die 4 "compile failed (logs in $OBJ)"
LIBS=(-L"$TORCH_LIB" -Wl,-rpath,"$TORCH_LIB" -Wl,--no-as-needed)
for l in torch torch_cpu c10 torch_cuda c10_cuda; do
  [[ -e "$TORCH_LIB/lib$l.so" ]] && LIBS+=(-l"$l")
done
"$CXX" -shared -o "$OUT_DIR/libdjl_torch.so" "$OBJ"/*.o "${LIBS[@]}" -Wl,--as-needed > "$OBJ/link.log" 2>&1 \
  || { tail -20 "$OBJ/link.log" >&2; die 4 "link failed (log: $OBJ/link.log)"; }
echo "built $OUT_DIR/libdjl_torch.so in $(( $(date +%s) - START )) s ($(du -h "$OUT_DIR/libdjl_torch.so" | cut -f1))"

# --- where DJL 0.36 looks: with PYTORCH_LIBRARY_PATH set, DJL loads that libtorch and takes the JNI from
# ENGINE_CACHE_DIR/pytorch/<PYTORCH_VERSION>-<PYTORCH_FLAVOR>-linux-x86_64/<DJL version>-libdjl_torch.so
CACHE=${ENGINE_CACHE_DIR:-$OUT_DIR/cache}
# DJL loads every library in PYTORCH_LIBRARY_PATH: a system lib dir (Debian's /usr/lib/x86_64-linux-gnu) gets a view
# of links to the torch libraries only; a wheel's torch/lib is used as it is (its RUNPATHs find CUDA's libraries).
LIBDIR="$TORCH_LIB"
if [[ ! -f "$TORCH_LIB/libtorch_python.so" && "$(basename "$(dirname "$TORCH_LIB")")/lib" != "torch/lib" ]]; then
  LIBDIR="$OUT_DIR/libtorch"; rm -rf "$LIBDIR"; mkdir -p "$LIBDIR"
  for f in "$TORCH_LIB"/lib{torch,torch_cpu,torch_global_deps,c10,torch_cuda,c10_cuda}.so; do
    [[ -e "$f" ]] && ln -s "$(readlink -f "$f")" "$LIBDIR/$(basename "$f")"
  done
fi
JNI_DIR="$CACHE/pytorch/$TORCH_VERSION-$FLAVOR-linux-x86_64"
mkdir -p "$JNI_DIR" && cp "$OUT_DIR/libdjl_torch.so" "$JNI_DIR/$DJL_VERSION-libdjl_torch.so"
cat > "$OUT_DIR/djl-env.sh" <<EOF
# made by build-djl-jni.sh: DJL $DJL_VERSION over libtorch $TORCH_VERSION ($FLAVOR) with a JNI built for it
export PYTORCH_LIBRARY_PATH=$(printf '%q' "$LIBDIR")
export PYTORCH_VERSION=$TORCH_VERSION
export PYTORCH_FLAVOR=$FLAVOR
export ENGINE_CACHE_DIR=$(printf '%q' "$CACHE")
export DJL_CACHE_DIR=$(printf '%q' "$CACHE")
EOF
echo "JNI for DJL: $JNI_DIR/$DJL_VERSION-libdjl_torch.so; environment: . $OUT_DIR/djl-env.sh"
