/* tests/jit/llvm_disasm.h: disassemble arm64 words with LLVM (llvm-mc-19),
 * all in one invocation, for the JIT tests. */
#ifndef CALLFUZZ_TESTS_JIT_LLVM_DISASM_H
#define CALLFUZZ_TESTS_JIT_LLVM_DISASM_H

#include <stdbool.h>
#include <stdint.h>

#define LLVM_MC "llvm-mc-19"

bool llvm_mc_available(void);

/* Disassemble n words (+lse). Returns a malloc'd array of n malloc'd
 * strings, one per word, normalized to "mnemonic operands" with single
 * spaces and no comment ("<invalid>" for a word LLVM rejects), or NULL if
 * llvm-mc could not run. Free with llvm_disasm_free. */
char **llvm_disasm(const uint32_t *words, int n);
void llvm_disasm_free(char **lines, int n);

#endif
