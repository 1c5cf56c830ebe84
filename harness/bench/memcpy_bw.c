// SPDX-License-Identifier: GPL-2.0
/*
 * Single-core memcpy bandwidth: the ceiling the bench compares every
 * transport against, measured in the same guest, in the same run.
 *
 *   memcpy_bw [MIB] [SECONDS]
 *
 * Copies a buffer of MIB MiB (default 64, larger than any cache) back and
 * forth for about SECONDS seconds (default 3) and prints "memcpy_MBps N".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char *argv[])
{
	size_t size = (argc > 1 ? strtoul(argv[1], NULL, 0) : 64) << 20;
	double secs = argc > 2 ? strtod(argv[2], NULL) : 3.0;
	char *a = malloc(size), *b = malloc(size);
	double start, elapsed;
	unsigned long rounds = 0;

	if (!a || !b || !size) {
		fprintf(stderr, "memcpy_bw: cannot allocate %zu bytes\n", size);
		return 1;
	}
	memset(a, 0x5a, size);
	memset(b, 0xa5, size);
	start = now();
	do {
		memcpy(rounds & 1 ? a : b, rounds & 1 ? b : a, size);
		rounds++;
		elapsed = now() - start;
	} while (elapsed < secs);
	/* Keep the copies observable. */
	if (a[size / 2] != b[size / 2])
		fprintf(stderr, "memcpy_bw: buffers differ\n");
	printf("memcpy_MBps %.0f\n", rounds * (size / 1e6) / elapsed);
	return 0;
}
