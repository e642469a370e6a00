#!/usr/bin/env bash
# tests/e2e/vm_verdicts_x86_64.sh: tests/e2e/vm_verdicts.sh on x86-64.
exec "$(dirname "$0")/vm_verdicts.sh" x86_64
