/*
 * CRC-32C (Castagnoli) for the addon (addon.c); plain C, so it can also be built and timed on its own.
 *
 * Why our own: every produced batch is checked on append, and a single stream of the SSE4.2 `crc32` instruction
 * (what fast-crc32c/sse4_crc32 use) is bound by the instruction's 3-cycle latency, so the check cost as much as
 * the write itself. The instruction issues once per cycle, so three independent streams over three adjacent
 * blocks keep it busy; the three partial CRCs are then joined by "shifting" a CRC over the following block's
 * length, which is a multiplication by x^(8n) modulo the polynomial, done with four 256-entry tables per block
 * length. That runs about three times as fast.
 *
 * On CPUs with AVX-512 VPCLMULQDQ, inputs of 1 KiB and more are folded with carry-less multiplications instead
 * (see fold_crc), three to four times as fast again; TRIBUTARY_NO_FOLD=1 turns that off, to compare.
 *
 * Without SSE4.2 (or off x86-64) the same function falls back to a table-driven byte loop, so the addon gives
 * correct answers everywhere.
 *
 * crc32c(previous, bytes, n) follows fast-crc32c's convention: previous = 0 starts afresh, and passing an earlier
 * result continues the CRC over more bytes.
 */
#include "crc32c.h"
#include <stdlib.h>
#include <string.h>

#define POLY 0x82f63b78u /* CRC-32C, bit-reflected */

static uint32_t byte_table[256];

/* Product of two bit-reflected polynomials modulo POLY. */
static uint32_t multiply(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (int i = 0; i < 32; i++) {
    if (a & (0x80000000u >> i)) product ^= b;
    b = (b & 1) ? (b >> 1) ^ POLY : b >> 1;
  }
  return product;
}

/* x^n modulo POLY, for any n (the fold constants need bit distances that are not whole bytes). */
static uint32_t x_to_the(size_t n) {
  uint32_t result = 0x80000000u; /* x^0 */
  uint32_t square = 0x40000000u; /* x^1 */
  while (n) {
    if (n & 1) result = multiply(result, square);
    square = multiply(square, square);
    n >>= 1;
  }
  return result;
}

/* x^(8n) modulo POLY: the factor that moves a CRC past n zero bytes. */
static uint32_t x_to_the_8n(size_t n) { return x_to_the(8 * n); }

/* Tables that multiply a CRC by x^(8n) one byte at a time (multiplication is linear in the CRC's bits). */
typedef struct {
  uint32_t table[4][256];
} shift_tables;

static void build_shift(shift_tables *shift, size_t n) {
  uint32_t factor = x_to_the_8n(n);
  for (int i = 0; i < 4; i++)
    for (uint32_t b = 0; b < 256; b++) shift->table[i][b] = multiply(b << (8 * i), factor);
}

static inline uint32_t apply_shift(const shift_tables *shift, uint32_t crc) {
  return shift->table[0][crc & 0xff] ^ shift->table[1][(crc >> 8) & 0xff] ^ shift->table[2][(crc >> 16) & 0xff] ^
         shift->table[3][crc >> 24];
}

/* Lane lengths for the three-stream rounds: long ones for big batches, short ones so 16 KiB batches gain too. */
#define LONG_LANE 8192
#define SHORT_LANE 256
static shift_tables long_shift;
static shift_tables short_shift;

static uint32_t software_crc(uint32_t crc, const uint8_t *p, size_t n) {
  while (n--) crc = byte_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define HAVE_HARDWARE 1

__attribute__((target("sse4.2"))) static inline uint64_t lane_step(uint64_t crc, const uint8_t *p) {
  uint64_t word;
  memcpy(&word, p, 8);
  return _mm_crc32_u64(crc, word);
}

__attribute__((target("sse4.2"))) static uint32_t rounds_of(uint32_t crc0, const uint8_t **at, size_t *left,
                                                            size_t lane, const shift_tables *shift) {
  const uint8_t *p = *at;
  size_t n = *left;
  while (n >= 3 * lane) {
    uint64_t a = crc0, b = 0, c = 0;
    const uint8_t *end = p + lane;
    do {
      a = lane_step(a, p);
      b = lane_step(b, p + lane);
      c = lane_step(c, p + 2 * lane);
      p += 8;
    } while (p < end);
    /* a covers lane 1; moving it past lane 2 and adding b gives the CRC of lanes 1-2; the same again for 3. */
    crc0 = apply_shift(shift, apply_shift(shift, (uint32_t)a) ^ (uint32_t)b) ^ (uint32_t)c;
    p += 2 * lane;
    n -= 3 * lane;
  }
  *at = p;
  *left = n;
  return crc0;
}

__attribute__((target("sse4.2"))) static uint32_t hardware_crc(uint32_t crc, const uint8_t *p, size_t n) {
  while (n > 0 && ((uintptr_t)p & 7) != 0) {
    crc = _mm_crc32_u8(crc, *p++);
    n--;
  }
  crc = rounds_of(crc, &p, &n, LONG_LANE, &long_shift);
  crc = rounds_of(crc, &p, &n, SHORT_LANE, &short_shift);
  uint64_t c = crc;
  while (n >= 8) {
    c = lane_step(c, p);
    p += 8;
    n -= 8;
  }
  crc = (uint32_t)c;
  while (n--) crc = _mm_crc32_u8(crc, *p++);
  return crc;
}

/*
 * Folding with carry-less multiplication (AVX-512 VPCLMULQDQ), for CPUs that have it: four 64-byte accumulators,
 * each 128-bit lane of which stands for 16 bytes of the message. Moving a lane 256 bytes further along the
 * message multiplies it by x^2048; splitting the lane into its first 8 bytes H and its last 8 bytes L,
 *   H * x^(64+2048) + L * x^2048  ==  (H * k_h + L * k_l) * x^33   (mod P)
 * with k_h = x^(2048+31) and k_l = x^(2048-33) reduced mod P: two 64x32-bit carry-less products whose 95-bit
 * sum, read as a lane (bit t standing for x^(127-t)), already carries the x^33. XORing in the next 256 bytes
 * continues the fold. At the end the 256 bytes of accumulators are congruent to everything folded so far,
 * placed at the last block, so the crc32 instruction over them (from a zero CRC) gives the CRC of the prefix,
 * and the remaining bytes continue from there. The CRC carried in (`crc`) is XORed into the first four bytes,
 * which is what the crc32 instruction does with its running value.
 *
 * Each 256-byte step is 8 multiplications and 4 loads with no dependency between the accumulators, against 32
 * crc32 instructions spread over three streams: about 3.5 times as fast on 16 KiB here.
 */
#define FOLD_BLOCK 256
/* Below this the three crc32 streams are as fast (setting up the fold costs about as much as 1 KiB). */
#define FOLD_MINIMUM 1024
static uint32_t fold_k_h, fold_k_l;

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 8
#undef HAVE_FOLD
#else
#define HAVE_FOLD 1
#include <immintrin.h>
#define FOLD_TARGET __attribute__((target("avx512f,vpclmulqdq,sse4.2")))

FOLD_TARGET static inline __m512i fold_step(__m512i lanes, __m512i k, const uint8_t *next) {
  __m512i h = _mm512_clmulepi64_epi128(lanes, k, 0x00); /* first 8 bytes of each lane times k_h */
  __m512i l = _mm512_clmulepi64_epi128(lanes, k, 0x11); /* last 8 bytes times k_l */
  return _mm512_ternarylogic_epi64(h, l, _mm512_loadu_si512((const void *)next), 0x96); /* h ^ l ^ next */
}

/* Needs n >= FOLD_BLOCK; returns the running CRC (not inverted) after p[0, n). */
FOLD_TARGET static uint32_t fold_crc(uint32_t crc, const uint8_t *p, size_t n) {
  const __m512i k = _mm512_broadcast_i32x4(_mm_set_epi64x((long long)fold_k_l, (long long)fold_k_h));
  __m512i a0 = _mm512_xor_si512(_mm512_loadu_si512((const void *)p), _mm512_inserti32x4(_mm512_setzero_si512(), _mm_cvtsi32_si128((int)crc), 0));
  __m512i a1 = _mm512_loadu_si512((const void *)(p + 64));
  __m512i a2 = _mm512_loadu_si512((const void *)(p + 128));
  __m512i a3 = _mm512_loadu_si512((const void *)(p + 192));
  p += FOLD_BLOCK;
  n -= FOLD_BLOCK;
  while (n >= FOLD_BLOCK) {
    a0 = fold_step(a0, k, p);
    a1 = fold_step(a1, k, p + 64);
    a2 = fold_step(a2, k, p + 128);
    a3 = fold_step(a3, k, p + 192);
    p += FOLD_BLOCK;
    n -= FOLD_BLOCK;
  }
  uint8_t folded[FOLD_BLOCK];
  _mm512_storeu_si512((void *)folded, a0);
  _mm512_storeu_si512((void *)(folded + 64), a1);
  _mm512_storeu_si512((void *)(folded + 128), a2);
  _mm512_storeu_si512((void *)(folded + 192), a3);
  /* Leave no dirty upper register state behind: without this every later SSE instruction in the process (the
   * crc32 streams, libc, V8's own code) pays a merge penalty. The compiler does not add it for us here. */
  _mm256_zeroupper();
  return hardware_crc(hardware_crc(0, folded, FOLD_BLOCK), p, n);
}
#endif
#endif

static int use_hardware = 0;
static int use_fold = 0;

uint32_t crc32c(uint32_t previous, const uint8_t *p, size_t n) {
  uint32_t crc = ~previous;
#ifdef HAVE_HARDWARE
#ifdef HAVE_FOLD
  if (use_fold && n >= FOLD_MINIMUM) return ~fold_crc(crc, p, n);
#endif
  if (use_hardware) return ~hardware_crc(crc, p, n);
#endif
  return ~software_crc(crc, p, n);
}

void crc32c_init(void) {
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t crc = b;
    for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ POLY : crc >> 1;
    byte_table[b] = crc;
  }
  build_shift(&long_shift, LONG_LANE);
  build_shift(&short_shift, SHORT_LANE);
#ifdef HAVE_HARDWARE
  __builtin_cpu_init();
  use_hardware = __builtin_cpu_supports("sse4.2");
#ifdef HAVE_FOLD
  fold_k_h = x_to_the(8 * FOLD_BLOCK + 31);
  fold_k_l = x_to_the(8 * FOLD_BLOCK - 33);
  use_fold = use_hardware && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq") && !getenv("TRIBUTARY_NO_FOLD");
#endif
#endif
}

int crc32c_hardware(void) { return use_hardware; }

int crc32c_folding(void) { return use_fold; }
