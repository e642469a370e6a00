#!/bin/bash -eu
# OSS-Fuzz build script: the project's own build.sh has an OSS-Fuzz mode
# ($OUT and $LIB_FUZZING_ENGINE set): fuzz targets, executor, qemu, seed
# corpora, dictionaries and options into $OUT.
cd "$SRC/callfuzz"
./build.sh
