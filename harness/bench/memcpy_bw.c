// SPDX-License-Identifier: GPL-2.0
/*
 * Single-core memcpy bandwidth: the ceiling the bench compares every
 * transport against, measured in the same guest, in the same run.
 *
 *   memcpy_bw [MIB] [SECONDS]
 *
 * Copies a buffer of MIB MiB (default 64, larger than any cache) back and
 * forth for about SECONDS seconds (default 3) per method, and prints
 * "memcpy_MBps N" (the C library's memcpy) and, on x86, "movsb_MBps N"
 * ("rep movsb", the way the kernel's memcpy() and memcpy_toio() copy).
 * Under emulation the two differ a lot: the ceiling is the faster one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void *(*copy_fn)(void *dst, const void *src, size_t n);

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#if defined(__x86_64__) || defined(__i386__)
static void *copy_movsb(void *dst, const void *src, size_t n)
{
	void *ret = dst;

	asm volatile("rep movsb"
		     : "+D" (dst), "+S" (src), "+c" (n) : : "memory");
	return ret;
}
#endif

static double bandwidth(copy_fn copy, char *a, char *b, size_t size, double secs)
{
	double start = now(), elapsed;
	unsigned long rounds = 0;

	do {
		copy(rounds & 1 ? a : b, rounds & 1 ? b : a, size);
		rounds++;
		elapsed = now() - start;
	} while (elapsed < secs);
	/* Keep the copies observable. */
	if (a[size / 2] != b[size / 2])
		fprintf(stderr, "memcpy_bw: buffers differ\n");
	return rounds * (size / 1e6) / elapsed;
}

int main(int argc, char *argv[])
{
	size_t size = (argc > 1 ? strtoul(argv[1], NULL, 0) : 64) << 20;
	double secs = argc > 2 ? strtod(argv[2], NULL) : 3.0;
	char *a = malloc(size), *b = malloc(size);

	if (!a || !b || !size) {
		fprintf(stderr, "memcpy_bw: cannot allocate %zu bytes\n", size);
		return 1;
	}
	memset(a, 0x5a, size);
	memset(b, 0xa5, size);
	printf("memcpy_MBps %.0f\n", bandwidth(memcpy, a, b, size, secs));
#if defined(__x86_64__) || defined(__i386__)
	printf("movsb_MBps %.0f\n", bandwidth(copy_movsb, a, b, size, secs));
#endif
	return 0;
}
