# callfuzz build. `./build.sh` drives this; plain `make` works once the
# packages are installed.
#
#   make                      host tools, tests and the aarch64 executor in build/
#   make BUILD=build-san SAN=1   the same under ASan+UBSan
#   make BUILD=build-fuzz fuzzers   libFuzzer targets (clang)
#
# Sources are found by folder, so adding a .c file needs no edit here:
# bpf/ interp/ jit/ gen/ harness/env/ are libraries; harness/target/ (who
# runs the other side), harness/repro/ (artifacts, minimizer, reports,
# triage), harness/import/, harness/cover/ (kernel coverage from KCOV) and
# the loop in fuzz/ are the machinery;
# harness/cli/ is the command; harness/executor/ (the aarch64 executor) and
# harness/agent/ (the VM agent) are separate programs. tests/<module>/ are
# linked into build/test-<module>. Project headers are included as
# "bpf/bpf.h" under -iquote ., so libbpf's <bpf/bpf.h> stays reachable.

BUILD ?= build
CC ?= cc
AARCH64_CC ?= aarch64-linux-gnu-gcc
SAN ?=
OPT ?= -O2

WARN := -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS_ALL := -std=gnu11 -g $(OPT) $(WARN) -iquote . $(CFLAGS)
LDFLAGS_ALL := $(LDFLAGS)
LDLIBS_ALL := -lbpf -lelf -lz -lpthread -lrt -lm $(LDLIBS)

ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS_ALL += $(SANFLAGS)
LDFLAGS_ALL += $(SANFLAGS)
endif

ifeq ($(FUZZ),1)
CFLAGS_ALL += -fsanitize=fuzzer-no-link
endif

BPF_SRC := $(wildcard bpf/*.c)
INTERP_SRC := $(wildcard interp/*.c)
JIT_SRC := $(wildcard jit/*.c)
GEN_SRC := $(wildcard gen/*.c)
ENV_SRC := $(wildcard harness/env/*.c)
# The fuzz targets are fuzz/<name>.c; fuzz/loop/ is the loop they share.
LOOP_SRC := $(wildcard fuzz/loop/*.c)
CLI_SRC := $(filter-out harness/cli/main.c,$(wildcard harness/cli/*.c))
HARNESS_SRC := $(wildcard harness/target/*.c harness/repro/*.c harness/import/*.c harness/cover/*.c) $(LOOP_SRC) $(CLI_SRC)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_OBJ := $(call obj,$(BPF_SRC) $(INTERP_SRC) $(JIT_SRC) $(GEN_SRC) $(ENV_SRC))
HARNESS_OBJ := $(call obj,$(HARNESS_SRC))
TEST_MAIN := $(call obj,tests/test_main.c)

TEST_MODULES := bpf interp jit gen target repro loop import cover
TEST_BINS := $(patsubst %,$(BUILD)/test-%,$(TEST_MODULES))

EXECUTOR_SRC := $(wildcard harness/executor/*.c harness/executor/*.S)
EXECUTOR := $(if $(EXECUTOR_SRC),$(BUILD)/callfuzz-exec)

AGENT_SRC := $(wildcard harness/agent/*.c)

all: $(BUILD)/callfuzz $(TEST_BINS) $(EXECUTOR)

$(BUILD)/callfuzz: $(call obj,harness/cli/main.c) $(HARNESS_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

# Each module's tests link only what the module depends on.
$(BUILD)/test-bpf: $(TEST_MAIN) $(call obj,$(wildcard tests/bpf/*.c) $(BPF_SRC))
$(BUILD)/test-interp: $(TEST_MAIN) $(call obj,$(wildcard tests/interp/*.c) $(BPF_SRC) $(INTERP_SRC) $(ENV_SRC))
$(BUILD)/test-jit: $(TEST_MAIN) $(call obj,$(wildcard tests/jit/*.c) $(BPF_SRC) $(JIT_SRC))
$(BUILD)/test-gen: $(TEST_MAIN) $(call obj,$(wildcard tests/gen/*.c) $(BPF_SRC) $(GEN_SRC) $(INTERP_SRC) $(ENV_SRC))
TARGET_OBJ := $(call obj,$(wildcard harness/target/*.c))
REPRO_OBJ := $(call obj,$(wildcard harness/repro/*.c))
LOOP_OBJ := $(call obj,$(LOOP_SRC))
IMPORT_OBJ := $(call obj,$(wildcard harness/import/*.c))
COVER_OBJ := $(call obj,$(wildcard harness/cover/*.c))
$(BUILD)/test-target: $(TEST_MAIN) $(call obj,$(wildcard tests/target/*.c)) $(TARGET_OBJ) $(LIB_OBJ)
$(BUILD)/test-repro: $(TEST_MAIN) $(call obj,$(wildcard tests/repro/*.c)) $(REPRO_OBJ) $(TARGET_OBJ) $(LIB_OBJ)
$(BUILD)/test-loop: $(TEST_MAIN) $(call obj,$(wildcard tests/loop/*.c)) $(LOOP_OBJ) $(REPRO_OBJ) $(TARGET_OBJ) $(LIB_OBJ)
$(BUILD)/test-import: $(TEST_MAIN) $(call obj,$(wildcard tests/import/*.c)) $(IMPORT_OBJ) $(TARGET_OBJ) $(LIB_OBJ)
$(BUILD)/test-cover: $(TEST_MAIN) $(call obj,$(wildcard tests/cover/*.c)) $(COVER_OBJ) $(call obj,$(BPF_SRC))

$(TEST_BINS):
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# The executor: a static aarch64 program (run by qemu-aarch64 on x86 hosts).
AARCH64_CFLAGS := -std=gnu11 -g -O2 $(WARN) -iquote . -static -ffreestanding -fno-stack-protector
$(BUILD)/callfuzz-exec: $(EXECUTOR_SRC) $(ENV_SRC) $(wildcard harness/executor/*.h) harness/env/env.h bpf/bpf.h
	@mkdir -p $(dir $@)
	$(AARCH64_CC) $(AARCH64_CFLAGS) -o $@ $(EXECUTOR_SRC) $(ENV_SRC)

# libFuzzer targets: fuzz/<name>.c becomes $(BUILD)/fuzz-<name>.
LIB_FUZZING_ENGINE ?= -fsanitize=fuzzer
FUZZ_SRC := $(wildcard fuzz/*.c)
FUZZERS := $(patsubst fuzz/%.c,$(BUILD)/fuzz-%,$(FUZZ_SRC))
fuzzers: $(FUZZERS)
# FUZZ_LD links them: OSS-Fuzz's engines are C++ libraries, linked with
# "$CXX $CXXFLAGS" (build.sh, OSS-Fuzz mode).
FUZZ_LD ?= $(CC)
# The fuzz targets link the harness machinery but not the command
# (harness/cli/), so a subcommand cannot break fuzzing.
FUZZ_HARNESS_OBJ := $(call obj,$(filter-out $(CLI_SRC),$(HARNESS_SRC)))
$(BUILD)/fuzz-%: $(BUILD)/obj/fuzz/%.o $(FUZZ_HARNESS_OBJ) $(LIB_OBJ)
	$(FUZZ_LD) $(LDFLAGS_ALL) $(LIB_FUZZING_ENGINE) -o $@ $^ $(LDLIBS_ALL)

clean:
	rm -rf build build-san build-fuzz

.PHONY: all clean fuzzers
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# The VM agent (harness/agent/): a static /init for arm64 and x86-64 guests,
# packed into a gzip'd newc initramfs per architecture.
X86_64_CC ?= $(if $(filter x86_64,$(shell uname -m)),$(CC),x86_64-linux-gnu-gcc)
AGENT_CFLAGS := -std=gnu11 -O2 $(WARN) -iquote . -static
AGENT_DEPS := $(AGENT_SRC) $(wildcard harness/agent/*.h)
AGENT_INITRDS := $(if $(AGENT_SRC),$(BUILD)/agent/arm64/initramfs.cpio.gz $(BUILD)/agent/x86_64/initramfs.cpio.gz)
$(BUILD)/agent/arm64/init: $(AGENT_DEPS)
	@mkdir -p $(dir $@)
	$(AARCH64_CC) $(AGENT_CFLAGS) -o $@ $(AGENT_SRC)
$(BUILD)/agent/x86_64/init: $(AGENT_DEPS)
	@mkdir -p $(dir $@)
	$(X86_64_CC) $(AGENT_CFLAGS) -o $@ $(AGENT_SRC)
$(BUILD)/agent/%/initramfs.cpio.gz: $(BUILD)/agent/%/init harness/agent/mkinitramfs.sh
	sh harness/agent/mkinitramfs.sh $< $@
agent: $(AGENT_INITRDS)
all: $(AGENT_INITRDS)
.PHONY: agent

# fuzz/diff needs the executor next to it (cli_self_dir()): `fuzzers` builds
# $(BUILD)/callfuzz-exec too.
fuzzers: $(EXECUTOR)

# The same fuzz targets for AFL++ (fuzz/run --engine afl): afl-clang-fast
# (clang-14) instruments, libAFLDriver drives LLVMFuzzerTestOneInput.
#   make afl   ->  build-afl/fuzz-*
AFL_CC ?= afl-clang-fast
AFL_DRIVER ?= /usr/lib/afl/libAFLDriver.a
afl:
	$(MAKE) BUILD=build-afl CC=$(AFL_CC) LIB_FUZZING_ENGINE=$(AFL_DRIVER) FUZZ= SAN= fuzzers
.PHONY: afl

# BPF C seeds (seeds/c/*.bpf.c) as objects for `callfuzz import`: clang-19
# with ISA v4, or clang-14 (v3) when 19 is absent. seeds/*.s are their
# imports, committed; `make seeds-s` regenerates them after a change to a C
# seed (with clang-19: tests/e2e/import_seeds.sh compares).
BPF_CLANG ?= $(shell command -v clang-19 || command -v clang-14)
BPF_MCPU ?= $(if $(findstring clang-19,$(BPF_CLANG)),v4,v3)
SEED_C := $(wildcard seeds/c/*.bpf.c)
SEED_OBJS := $(patsubst seeds/c/%.bpf.c,$(BUILD)/seeds/%.bpf.o,$(SEED_C))
$(BUILD)/seeds/%.bpf.o: seeds/c/%.bpf.c $(wildcard seeds/c/*.h)
	@mkdir -p $(dir $@)
	$(BPF_CLANG) -target bpf -O2 -g -mcpu=$(BPF_MCPU) -c $< -o $@
seeds: $(SEED_OBJS)
all: $(if $(BPF_CLANG),seeds)
seeds-s: $(BUILD)/callfuzz $(SEED_OBJS)
	for o in $(SEED_OBJS); do $(BUILD)/callfuzz import $$o -o seeds/$$(basename $$o .bpf.o).s || exit 1; done
.PHONY: seeds seeds-s
