/* CRC-32C (Castagnoli) for the addon; see crc32c.c. */
#ifndef TRIBUTARY_CRC32C_H
#define TRIBUTARY_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/* Builds the tables and picks the fastest implementation this CPU has; call once before crc32c. */
void crc32c_init(void);
/* CRC-32C of p[0, n), continuing from `previous` (0 to start afresh). */
uint32_t crc32c(uint32_t previous, const uint8_t *p, size_t n);
/* Whether crc32c runs on the CPU's crc32 instruction (SSE4.2) rather than a table. */
int crc32c_hardware(void);
/* Whether long inputs are folded with AVX-512 VPCLMULQDQ (off with TRIBUTARY_NO_FOLD=1 in the environment). */
int crc32c_folding(void);

#endif
