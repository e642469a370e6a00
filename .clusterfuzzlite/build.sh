#!/bin/bash -eu
# ClusterFuzzLite build script: build.sh's OSS-Fuzz mode does the work.
cd "$SRC/callfuzz"
./build.sh
