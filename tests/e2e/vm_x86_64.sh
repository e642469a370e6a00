#!/usr/bin/env bash
# tests/e2e/vm_x86_64.sh: tests/e2e/vm_arm64.sh against the x86-64 kernel
# (qemu-system-x86_64, TCG). Exit 0 pass, 77 skip, 1 fail.
exec bash "$(dirname "$0")/vm_arm64.sh" x86_64
