#!/bin/bash
# GPU check for Troupe's learners on a machine with an NVIDIA GPU and a Python PyTorch (no network, no Maven):
# DJL's CUDA JNI (pytorch-jni 2.7.1-0.36.0, flavour cu128) over the machine's libtorch, a jlinked JRE 17.
# Made by scripts/device-bundle.sh; run as: bash .devbundle/gpu-check.sh (carry .devbundle). The JNI only works over
# the libtorch it was built for (2.7.1): over another version (2.11 was seen) tensor creation fails in from_blob.
cd "$(dirname "$0")/.." || exit 2
nvidia-smi -L
TL=$(python3 -c "import torch,os;print(os.path.dirname(torch.__file__)+'/lib')")
python3 -c "import torch;print('python torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())"
SITE=$(dirname "$(dirname "$TL")")
CUDART=$(dirname "$(find "$SITE/nvidia" /usr/local/cuda/lib64 -name 'libcudart.so*' 2>/dev/null | head -1)")
echo "libtorch: $TL"; echo "cudart: $CUDART"; ls "$TL"
python3 -c "import zipfile,glob;zipfile.ZipFile(glob.glob('.devbundle/lib/pytorch-jni-*.jar')[0]).extract('jnilib/linux-x86_64/cu128/libdjl_torch.so','/tmp/jni')"
if command -v nm >/dev/null && [ -f /tmp/jni/jnilib/linux-x86_64/cu128/libdjl_torch.so ]; then
  nm -D --undefined-only /tmp/jni/jnilib/linux-x86_64/cu128/libdjl_torch.so | awk '{print $2}' | sort -u > /tmp/need
  for l in "$TL"/*.so; do nm -D --defined-only "$l" 2>/dev/null; done | awk '{print $3}' | sort -u > /tmp/have
  echo "JNI symbols not in this libtorch (libc/libstdc++ ones included): $(comm -23 /tmp/need /tmp/have | grep -c -v '@')"
  comm -23 /tmp/need /tmp/have | grep -v '@' | head -20
fi
export PYTORCH_LIBRARY_PATH=$TL PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128 DJL_CACHE_DIR=/tmp/djl ENGINE_CACHE_DIR=/tmp/djl
export OMP_NUM_THREADS=1
.devbundle/jre/bin/java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Djna.library.path="$CUDART" \
  -cp ".devbundle/conf:.devbundle/lib/*" io.troupe.learners.bench.DeviceCheck --seconds "${SECONDS_PER_CASE:-3}" \
  --json "${OUT:-/tmp}/devicecheck.json" > "${OUT:-/tmp}/devicecheck.log" 2>&1
rc=$?
grep -v DEBUG "${OUT:-/tmp}/devicecheck.log" | tail -60
grep -E "Loading native|Extracting|undefined symbol|UnsatisfiedLink" "${OUT:-/tmp}/devicecheck.log" | head -20
exit $rc
