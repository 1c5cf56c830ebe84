// SPDX-License-Identifier: GPL-2.0
/*
 * Single-core memcpy() bandwidth inside the kernel: the ceiling for the
 * transports, which copy with the same memcpy() in the same kernel. Under
 * emulation, user space copies at a different speed altogether, so
 * memcpy_bw's figure alone would be no ceiling.
 *
 *   insmod kmemcpy_bw.ko [mib=64] [msecs=3000]
 *
 * Loading measures and prints "kmemcpy_MBps N", then fails with -EAGAIN
 * so that nothing stays loaded.
 */
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

static unsigned int mib = 64;
module_param(mib, uint, 0444);
MODULE_PARM_DESC(mib, "Buffer size in MiB (default 64)");

static unsigned int msecs = 3000;
module_param(msecs, uint, 0444);
MODULE_PARM_DESC(msecs, "How long to copy, in ms (default 3000)");

static int __init kmemcpy_bw_init(void)
{
	size_t size = (size_t)mib << 20;
	u64 start, elapsed, rounds = 0;
	void *a, *b;

	if (!size || !msecs)
		return -EINVAL;
	a = vmalloc(size);
	b = vmalloc(size);
	if (!a || !b) {
		vfree(a);
		vfree(b);
		return -ENOMEM;
	}
	memset(a, 0x5a, size);
	memset(b, 0xa5, size);

	start = ktime_get_ns();
	do {
		memcpy(rounds & 1 ? a : b, rounds & 1 ? b : a, size);
		rounds++;
		elapsed = ktime_get_ns() - start;
		cond_resched();
	} while (elapsed < (u64)msecs * NSEC_PER_MSEC);

	pr_info("kmemcpy_MBps %llu\n",
		div64_u64(rounds * size * 1000, elapsed));
	vfree(a);
	vfree(b);
	return -EAGAIN;
}
module_init(kmemcpy_bw_init);

MODULE_DESCRIPTION("Kernel memcpy() bandwidth, for make bench");
MODULE_LICENSE("GPL");
