#!/usr/bin/env bash
# Build real Caffe (pycaffe, CPU only) from Caffe's source as published on PyPI (the brocolli-caffe
# sdist), into its own virtual environment outside the repository. Code verification runs the
# generated Caffe nets with that environment's Python, in a subprocess (a Caffe error aborts it).
#
#   scripts/build_caffe.sh [CAFFE_HOME]      default: $DLP2C_CAFFE_HOME or ~/.cache/dlp2c/caffe
#
# The build takes about 6 minutes on 2 cores. It is idempotent: a finished build is kept.
set -euo pipefail

CAFFE_HOME="${1:-${DLP2C_CAFFE_HOME:-$HOME/.cache/dlp2c/caffe}}"
PYTHON="${PYTHON:-python3.11}"
VERSION="9.0.2"
VENV="$CAFFE_HOME/venv"
SRC="$CAFFE_HOME/brocolli-caffe-$VERSION"
APT_PACKAGES="build-essential cmake libboost-system-dev libboost-thread-dev libboost-filesystem-dev
  libboost-python-dev libboost-regex-dev libprotobuf-dev protobuf-compiler libgoogle-glog-dev libgflags-dev
  libhdf5-dev libopenblas-dev python3-dev"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import caffe" 2>/dev/null; then
  echo "Caffe is built: $VENV/bin/python"
  exit 0
fi

missing=$(for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done | tr '\n' ' ')
if [ -n "${missing// /}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing: $missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "error: Caffe needs these Debian packages: sudo apt-get install -y $missing" >&2
    exit 1
  fi
fi

mkdir -p "$CAFFE_HOME"
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
# pycaffe is compiled against numpy 1.x and imports scikit-image at start-up.
"$VENV/bin/python" -m pip install --quiet "numpy<2" six protobuf scipy scikit-image

if [ ! -d "$SRC" ]; then
  "$VENV/bin/python" -m pip download --quiet --no-deps --no-binary :all: "brocolli-caffe==$VERSION" -d "$CAFFE_HOME"
  tar -xzf "$CAFFE_HOME/brocolli-caffe-$VERSION.tar.gz" -C "$CAFFE_HOME"
  # The two fixes this source needs here: Debian names Boost.Python by Python version, and net.cpp
  # includes a gtest header it does not use (gtest is not built).
  py_tag=$("$VENV/bin/python" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')
  sed -i "s/-lboost_python /-lboost_python$py_tag /" "$SRC/python/CMakeLists.txt"
  sed -i '/#include "caffe\/test\/test_caffe_main.hpp"/d' "$SRC/src/caffe/net.cpp"
fi

prefix=$("$VENV/bin/python" -c 'import sys; print(sys.base_prefix)')
pyver=$("$VENV/bin/python" -c 'import sys; print(f"python{sys.version_info[0]}.{sys.version_info[1]}")')
numpy_inc=$("$VENV/bin/python" -c 'import numpy; print(numpy.get_include())')
mkdir -p "$SRC/build"
cd "$SRC/build"
cmake .. -DCMAKE_BUILD_TYPE=Release -DCPU_ONLY=ON -DUSE_OPENCV=OFF -DUSE_LEVELDB=OFF -DUSE_LMDB=OFF \
  -DBUILD_python=ON -Dpython_version=3 -DANACONDA_HOME="$prefix" -DPYTHON_VERSION="$pyver" \
  -DCMAKE_CXX_FLAGS="-I$numpy_inc -I/usr/include/hdf5/serial -I$prefix/include/$pyver" \
  -DCMAKE_EXE_LINKER_FLAGS="-L/usr/lib/x86_64-linux-gnu/hdf5/serial" \
  -DCMAKE_SHARED_LINKER_FLAGS="-L/usr/lib/x86_64-linux-gnu/hdf5/serial" >cmake.log
make -j"$(nproc)" pycaffe 2>&1 | grep -E "error|Error|Linking|Built target" || true
test -e "$SRC/python/caffe/_caffe.so" || { echo "error: the Caffe build failed; see $SRC/build" >&2; exit 1; }

site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$SRC/python" >"$site/pycaffe.pth"
GLOG_minloglevel=2 "$VENV/bin/python" -c "import caffe; print('Caffe', caffe.__version__, 'built:', caffe.__file__)"
