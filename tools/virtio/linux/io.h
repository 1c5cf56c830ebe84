/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LINUX_IO_H
#define LINUX_IO_H

/*
 * There is no I/O memory here: the vringh MMIO accessors are handed the
 * test's own buffers as their "window", so the accessors are plain,
 * little endian memory accesses.
 */
#include <endian.h>
#include <string.h>
#include <linux/compiler.h>
#include <linux/types.h>

static inline u16 readw(const void __iomem *addr)
{
	return le16toh(READ_ONCE(*(const u16 __force *)addr));
}

static inline void writew(u16 val, void __iomem *addr)
{
	WRITE_ONCE(*(u16 __force *)addr, htole16(val));
}

static inline void memcpy_fromio(void *dst, const void __iomem *src,
				 size_t count)
{
	memcpy(dst, (const void __force *)src, count);
}

static inline void memcpy_toio(void __iomem *dst, const void *src,
			       size_t count)
{
	memcpy((void __force *)dst, src, count);
}

#endif /* LINUX_IO_H */
