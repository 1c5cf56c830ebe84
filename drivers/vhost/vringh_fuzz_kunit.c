// SPDX-License-Identifier: GPL-2.0-only
/*
 * A hostile-ring fuzzer for the vringh MMIO accessors.
 *
 * The backend walks rings that the other host writes: every byte of the
 * descriptor table, the available ring and the buffers may be a lie, and
 * may change while the backend reads it. This suite writes such rings, at
 * random from a fixed seed and by structure (loops, long and branching
 * chains, indirect tables of any size, lengths that wrap, addresses at and
 * across the edges of the window, indices that jump back and forth, event
 * indices anywhere, and a second CPU scribbling over the ring during the
 * walk), and checks on every case that:
 *
 *  - nothing outside the window is read or written: the window is made of
 *    several ranges whose bus addresses follow each other but whose CPU
 *    mappings are separate vmalloc() areas, each ending at a guard page,
 *    with the rest of their pages filled with a pattern that must stay
 *    intact and that, read as a descriptor, sends the walk to an address
 *    the range callback recognises; every segment handed back must lie in
 *    one range and be translated with that range's offset;
 *  - the work and memory of one call are bounded: the range callback is
 *    called, and the iov grows, only within a bound set by the ring size;
 *  - a bad ring gives an error code, and a well-formed ring is walked
 *    correctly, data included, after the backend is initialised again (the
 *    frontend's reset).
 *
 * The seed and the number of cases are module parameters
 * (vringh_fuzz_kunit.seed, vringh_fuzz_kunit.cases on the kernel command
 * line when built in), so that a failure can be replayed and a long run
 * made without rebuilding.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/virtio_ring.h>
#include <linux/vmalloc.h>
#include <linux/vringh.h>
#include <uapi/linux/virtio_config.h>

static u64 seed = 0x5eed;
module_param(seed, ullong, 0444);
MODULE_PARM_DESC(seed, "seed of the random rings (default 0x5eed)");

static unsigned int cases = 8000;
module_param(cases, uint, 0444);
MODULE_PARM_DESC(cases, "rings per kind of lie (default 8000)");

#define BATCH		1000		/* rings per parameterised case */
#define MAX_NUM		256		/* largest ring fuzzed */
#define AREA_NUM	1024		/* largest ring the ring's area holds */
#define RING_ALIGN	64
#define NR_RANGES	4
#define BUS_BASE	0xfe00001000ULL	/* above 4G: addresses are 64-bit */
#define BUS_HOLE	0x1000		/* between ranges 2 and 3 */
#define GUARD		0xa5		/* outside the ranges, in their pages */
#define TRAP_ADDR	0xa5a5a5a5a5a5a5a5ULL
#define MAX_INDIRECT	65536		/* what a 16-bit next field can index */
#define SCRATCH		8192
#define NVEC		4

/* One range of the window: bus addresses [bus, bus + size) at cpu. */
struct fuzz_range {
	u64 bus;
	size_t size;
	u8 *cpu;
	u8 *area;		/* the vmalloc() area holding it */
	size_t area_size;
};

struct fuzz {
	struct kunit *test;
	struct vringh vrh;
	struct rnd_state rnd;
	u64 features;
	unsigned int num;
	struct vring vr;			/* the ring as the frontend writes it */
	struct fuzz_range r[NR_RANGES];
	unsigned int granule;			/* getrange() hands out pieces */
	unsigned long getrange_calls;
	unsigned long trapped;
	struct vringh_mmiovec rvec[NVEC], wvec[NVEC];
	struct vringh_mmiov riov, wiov;
	u8 *scratch, *expect;
	/* What the cases saw, for the log. */
	unsigned long ok, empty, bad_chain, broken;
};

static struct fuzz *to_fuzz(struct vringh *vrh)
{
	return container_of(vrh, struct fuzz, vrh);
}

static u32 rnd(struct fuzz *f, u32 n)
{
	return n ? prandom_u32_state(&f->rnd) % n : 0;
}

static u64 rnd64(struct fuzz *f)
{
	return ((u64)prandom_u32_state(&f->rnd) << 32) |
	       prandom_u32_state(&f->rnd);
}

static bool chance(struct fuzz *f, unsigned int percent)
{
	return rnd(f, 100) < percent;
}

static bool fuzz_getrange(struct vringh *vrh, u64 addr, struct vringh_range *r)
{
	struct fuzz *f = to_fuzz(vrh);
	unsigned int k;

	f->getrange_calls++;
	if (addr == TRAP_ADDR)
		f->trapped++;
	for (k = 0; k < NR_RANGES; k++) {
		const struct fuzz_range *fr = &f->r[k];
		u64 start = fr->bus, end = fr->bus + fr->size - 1;

		if (addr < start || addr > end)
			continue;
		if (f->granule) {
			/* Smaller pieces, as a transport with pages would. */
			start = max(start, addr & ~(u64)(f->granule - 1));
			end = min(end, start + f->granule - 1);
		}
		r->start = start;
		r->end_incl = end;
		r->offset = (u64)(uintptr_t)fr->cpu - fr->bus;
		return true;
	}
	return false;
}

/* The CPU address of [bus, bus + len) if it lies in one range. */
static void *fuzz_xlate(struct fuzz *f, u64 bus, size_t len)
{
	unsigned int k;

	for (k = 0; k < NR_RANGES; k++) {
		const struct fuzz_range *fr = &f->r[k];

		if (bus >= fr->bus && bus - fr->bus < fr->size &&
		    len <= fr->size - (bus - fr->bus))
			return fr->cpu + (bus - fr->bus);
	}
	return NULL;
}

static void put_desc(struct vring_desc *d, u64 addr, u32 len, u16 flags,
		     u16 next)
{
	/* VIRTIO_F_VERSION_1: little endian. */
	d->addr = (__force __virtio64)cpu_to_le64(addr);
	d->len = (__force __virtio32)cpu_to_le32(len);
	d->flags = (__force __virtio16)cpu_to_le16(flags);
	d->next = (__force __virtio16)cpu_to_le16(next);
}

static void put16(__virtio16 *p, u16 v)
{
	WRITE_ONCE(*p, (__force __virtio16)cpu_to_le16(v));
}

static u16 get16(const __virtio16 *p)
{
	return le16_to_cpu((__force __le16)READ_ONCE(*p));
}

/*
 * Lay out the window for a ring of @num entries: the ring, then two ranges
 * that follow it in bus space, then a hole, then a last range. Their CPU
 * mappings are separate and each range ends at a guard page, except the
 * ring's, whose tail up to the page end is pattern.
 */
static void fuzz_layout(struct fuzz *f, unsigned int num, u64 features)
{
	static const size_t sizes[NR_RANGES] = { 0, PAGE_SIZE, 1536, 512 };
	unsigned int k;

	f->num = num;
	f->features = features | BIT_ULL(VIRTIO_F_VERSION_1);
	for (k = 0; k < NR_RANGES; k++) {
		struct fuzz_range *fr = &f->r[k];

		memset(fr->area, GUARD, fr->area_size);
		if (k == 0) {
			fr->size = vring_size(num, RING_ALIGN);
			fr->cpu = fr->area;
			fr->bus = BUS_BASE;
		} else {
			fr->size = sizes[k];
			fr->cpu = fr->area + fr->area_size - fr->size;
			fr->bus = f->r[k - 1].bus + f->r[k - 1].size;
			if (k == 3)
				fr->bus += BUS_HOLE;
		}
		memset(fr->cpu, 0, fr->size);
	}
	vring_init(&f->vr, num, f->r[0].cpu, RING_ALIGN);
}

/* The frontend reset: the backend starts again on whatever is there. */
static int fuzz_init_backend(struct fuzz *f)
{
	f->vrh.last_avail_idx = 0xdead;
	return vringh_init_mmio(&f->vrh, f->features, f->num,
				(__force struct vring_desc __iomem *)f->vr.desc,
				(__force struct vring_avail __iomem *)f->vr.avail,
				(__force struct vring_used __iomem *)f->vr.used);
}

/* Nothing was written outside the ranges, in the pages around them. */
static bool fuzz_guard_intact(struct fuzz *f)
{
	unsigned int k;

	for (k = 0; k < NR_RANGES; k++) {
		const struct fuzz_range *fr = &f->r[k];
		size_t before = fr->cpu - fr->area;
		size_t after = fr->area_size - before - fr->size;

		if (memchr_inv(fr->area, GUARD, before) ||
		    memchr_inv(fr->cpu + fr->size, GUARD, after))
			return false;
	}
	return true;
}

/*
 * The most descriptors one chain may take: the ring's, plus one indirect
 * table's worth. A chain is cut at each range end, and at each piece when
 * getrange() hands out pieces.
 */
static unsigned long fuzz_seg_bound(struct fuzz *f)
{
	unsigned long pieces = NR_RANGES;

	if (f->granule)
		pieces += (f->r[0].size + PAGE_SIZE + 1536) / f->granule;
	return (f->num + MAX_INDIRECT) * pieces;
}

/* Every segment lies in one range and is translated with its offset. */
static void fuzz_check_iov(struct fuzz *f, const struct vringh_mmiov *iov)
{
	struct kunit *test = f->test;
	unsigned int i;

	for (i = 0; i < iov->used; i++) {
		const struct vringh_mmiovec *s = &iov->iov[i];
		void *cpu = fuzz_xlate(f, s->addr, s->len);

		KUNIT_ASSERT_NOT_NULL_MSG(test, cpu,
					  "segment %u: %zu bytes at %#llx outside the window",
					  i, s->len, s->addr);
		KUNIT_ASSERT_PTR_EQ_MSG(test, (__force void *)s->vaddr, cpu,
					"segment %u at %#llx mistranslated",
					i, s->addr);
	}
	KUNIT_ASSERT_LE(test, (unsigned long)iov->used, fuzz_seg_bound(f));
	KUNIT_ASSERT_LE(test, (unsigned long)(iov->max_num & ~VRINGH_IOV_ALLOCATED),
			2 * fuzz_seg_bound(f) + 8);
}

/*
 * One vringh_getdesc_mmio() with the invariants checked. Returns what it
 * returned, with the head in *head.
 */
static int fuzz_getdesc(struct fuzz *f, u16 *head)
{
	struct kunit *test = f->test;
	unsigned long calls = f->getrange_calls;
	struct vringh_mmiov *riov = &f->riov, *wiov = &f->wiov;
	int ret;

	/* Sometimes the caller wants only one direction. */
	if (chance(f, 3))
		riov = NULL;
	else if (chance(f, 3))
		wiov = NULL;
	/* Not passed, not filled: nothing stale to check either. */
	f->riov.used = 0;
	f->wiov.used = 0;
	ret = vringh_getdesc_mmio(&f->vrh, riov, wiov, fuzz_getrange, head,
				  GFP_KERNEL);

	KUNIT_ASSERT_EQ_MSG(test, f->trapped, 0UL,
			    "read outside the window (ret %d)", ret);
	KUNIT_ASSERT_LE(test, ret, 1);
	KUNIT_ASSERT_LE_MSG(test, f->getrange_calls - calls,
			    2 * fuzz_seg_bound(f),
			    "unbounded walk (ret %d)", ret);
	if (ret < 0) {
		KUNIT_ASSERT_TRUE_MSG(test, ret == -EINVAL || ret == -ELOOP ||
				      ret == -EPROTO || ret == -E2BIG,
				      "unexpected error %d", ret);
		KUNIT_ASSERT_LE(test, *head, f->num);
	} else if (ret == 0) {
		KUNIT_ASSERT_EQ(test, *head, f->num);
	} else {
		KUNIT_ASSERT_LT(test, *head, f->num);
	}
	/* On an error the iov may hold what was walked: still in bounds. */
	fuzz_check_iov(f, &f->riov);
	fuzz_check_iov(f, &f->wiov);
	return ret;
}

/* Consume a chain as a client would, part of it or all. */
static void fuzz_consume(struct fuzz *f, u16 head)
{
	struct kunit *test = f->test;
	size_t want, got;

	want = rnd(f, 3) ? SCRATCH : rnd(f, 64);
	got = vringh_iov_pull_mmio(&f->riov, f->scratch, want);
	KUNIT_ASSERT_LE(test, got, want);
	if (chance(f, 20))
		vringh_mmiov_advance(&f->wiov, rnd(f, 100));
	memset(f->scratch, 0x3c, SCRATCH);
	want = rnd(f, 3) ? SCRATCH : rnd(f, 64);
	got = vringh_iov_push_mmio(&f->wiov, f->scratch, want);
	KUNIT_ASSERT_LE(test, got, want);
	if (chance(f, 10)) {
		/* Walk it again, as a retry would. */
		vringh_mmiov_reset(&f->riov);
		got = vringh_iov_pull_mmio(&f->riov, f->scratch, SCRATCH);
		KUNIT_ASSERT_LE(test, got, (size_t)SCRATCH);
	}
}

/*
 * Take chains off the ring until it is empty or broken, with a bounded
 * number of calls, completing them one by one or in batches.
 */
static void fuzz_drain(struct fuzz *f)
{
	struct kunit *test = f->test;
	struct vring_used_elem used[8];
	unsigned int n = 0, calls;
	u16 head;
	int ret;

	for (calls = 0; calls < f->num + 2; calls++) {
		ret = fuzz_getdesc(f, &head);
		if (ret == 0) {
			f->empty++;
			break;
		}
		if (ret < 0 && head == f->num) {
			/* The ring is broken: the device would need a reset. */
			f->broken++;
			break;
		}
		if (ret < 0)
			f->bad_chain++;
		else
			f->ok++;
		if (ret > 0)
			fuzz_consume(f, head);
		if (chance(f, 10)) {
			/* Put it back, to be taken again. */
			vringh_abandon_mmio(&f->vrh, 1);
			continue;
		}

		used[n].id = cpu_to_vringh32(&f->vrh, head);
		used[n].len = cpu_to_vringh32(&f->vrh, ret > 0 ? rnd64(f) : 0);
		n++;
		if (n == ARRAY_SIZE(used) || chance(f, 50)) {
			if (n == 1 && chance(f, 50))
				KUNIT_ASSERT_EQ(test,
						vringh_complete_mmio(&f->vrh, head,
								     rnd64(f)), 0);
			else
				KUNIT_ASSERT_EQ(test,
						vringh_complete_multi_mmio(&f->vrh,
									   used, n), 0);
			n = 0;
		}
		if (chance(f, 10)) {
			ret = vringh_need_notify_mmio(&f->vrh);
			KUNIT_ASSERT_TRUE(test, ret == 0 || ret == 1);
		}
	}
	if (n)
		KUNIT_ASSERT_EQ(test,
				vringh_complete_multi_mmio(&f->vrh, used, n), 0);
	KUNIT_ASSERT_LE(test, calls, f->num + 2);
}

/* An address a lying descriptor might give. */
static u64 fuzz_addr(struct fuzz *f)
{
	const struct fuzz_range *fr = &f->r[rnd(f, NR_RANGES)];
	u64 end = fr->bus + fr->size;

	switch (rnd(f, 12)) {
	case 0:
		return end - 1 - rnd(f, 16);		/* at the end */
	case 1:
		return end + rnd(f, 16);		/* just past it */
	case 2:
		return fr->bus - 1 - rnd(f, 16);	/* just before it */
	case 3:
		return fr->bus;
	case 4:
		return rnd(f, 2) ? 0 : U64_MAX - rnd(f, 64);
	case 5:
		return rnd64(f);
	default:
		return fr->bus + rnd(f, fr->size);	/* inside */
	}
}

static u32 fuzz_len(struct fuzz *f)
{
	switch (rnd(f, 10)) {
	case 0:
		return 0;
	case 1:
		return U32_MAX - rnd(f, 32);
	case 2:
		return 0x80000000u + rnd(f, 32);
	case 3:
		return rnd(f, 8 * PAGE_SIZE);
	case 4:
		return 16 * (1 + rnd(f, 64));		/* a table's length */
	default:
		return 1 + rnd(f, 128);
	}
}

static u16 fuzz_flags(struct fuzz *f)
{
	static const u16 common[] = {
		0, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE,
		VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, VRING_DESC_F_INDIRECT,
		VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT,
		VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE,
	};

	if (chance(f, 5))
		return rnd(f, 0x10000);
	return common[rnd(f, ARRAY_SIZE(common))];
}

static u16 fuzz_next(struct fuzz *f, unsigned int max)
{
	if (chance(f, 5))
		return rnd(f, 0x10000);
	return rnd(f, max);
}

/* Fill a descriptor table (the ring's or an indirect one) with lies. */
static void fuzz_table(struct fuzz *f, struct vring_desc *d, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		put_desc(&d[i], fuzz_addr(f), fuzz_len(f), fuzz_flags(f),
			 fuzz_next(f, n));
}

/* A spot in the window for an indirect table of @n entries, maybe. */
static struct vring_desc *fuzz_table_spot(struct fuzz *f, unsigned int n,
					  u64 *bus)
{
	unsigned int k = 1 + rnd(f, NR_RANGES - 1);
	const struct fuzz_range *fr = &f->r[k];
	size_t len = n * sizeof(struct vring_desc);
	u64 off;

	if (len > fr->size)
		return NULL;
	off = rnd(f, fr->size - len + 1);
	if (chance(f, 70))
		off &= ~15ULL;
	*bus = fr->bus + off;
	return (struct vring_desc *)(fr->cpu + off);
}

static void fuzz_avail(struct fuzz *f, u16 idx, bool valid_heads)
{
	unsigned int i;

	for (i = 0; i < f->num; i++)
		put16(&f->vr.avail->ring[i],
		      valid_heads || chance(f, 95) ? rnd(f, f->num) :
						     rnd(f, 0x10000));
	put16(&f->vr.avail->idx, idx);
	put16(&f->vr.avail->flags, rnd(f, 4));
	put16(&vring_used_event(&f->vr), rnd(f, 0x10000));
}

static unsigned int fuzz_num(struct fuzz *f)
{
	return 1U << rnd(f, ilog2(MAX_NUM) + 1);
}

static u64 fuzz_features(struct fuzz *f)
{
	u64 features = BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC);

	if (chance(f, 50))
		features |= BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
	return features;
}

/* The byte at bus address @bus, for the data a chain should hold. */
static int fuzz_byte(struct fuzz *f, u64 bus)
{
	u8 *p = fuzz_xlate(f, bus, 1);

	return p ? *p : -1;
}

/*
 * A well-formed chain of @nsegs segments, readable ones first, made of
 * random pieces of the ranges (across their bus-adjacent edges too),
 * direct or through an indirect table. Returns the head, and the bytes
 * the readable part holds in f->expect, their number in *rlen and the
 * writable length in *wlen. @free is the first free descriptor.
 */
static int fuzz_good_chain(struct fuzz *f, unsigned int *free,
			   unsigned int nsegs, bool indirect,
			   size_t *rlen, size_t *wlen)
{
	struct vring_desc *d = f->vr.desc;
	unsigned int i, head = *free, nread = rnd(f, nsegs + 1);
	u64 bus[32], table_bus;
	u32 len[32];

	if (nsegs > ARRAY_SIZE(bus) || *free + (indirect ? 1 : nsegs) > f->num)
		return -1;
	if (indirect) {
		d = fuzz_table_spot(f, nsegs, &table_bus);
		if (!d)
			return -1;
	}
	for (i = 0; i < nsegs; i++) {
		const struct fuzz_range *fr = &f->r[1 + rnd(f, NR_RANGES - 1)];
		u64 end = fr->bus + fr->size;

		len[i] = 1 + rnd(f, 96);
		bus[i] = fr->bus + rnd(f, fr->size);
		/* Ranges 1 and 2 are one span in bus space; 3 is alone. */
		if (fr == &f->r[1])
			end += f->r[2].size;
		if (bus[i] + len[i] > end)
			len[i] = end - bus[i];
	}
	/* The table first: segments may overlap it. */
	for (i = 0; i < nsegs; i++) {
		u16 flags = i >= nread ? VRING_DESC_F_WRITE : 0;
		unsigned int me = indirect ? i : head + i;

		if (i + 1 < nsegs)
			flags |= VRING_DESC_F_NEXT;
		put_desc(&d[me], bus[i], len[i], flags, me + 1);
	}
	if (indirect)
		put_desc(&f->vr.desc[head], table_bus, nsegs * sizeof(*d),
			 VRING_DESC_F_INDIRECT, 0);
	*free += indirect ? 1 : nsegs;

	*rlen = *wlen = 0;
	for (i = 0; i < nsegs; i++) {
		u32 j;

		if (i >= nread) {
			*wlen += len[i];
			continue;
		}
		for (j = 0; j < len[i]; j++) {
			int c = fuzz_byte(f, bus[i] + j);

			if (c < 0)
				return -1;
			f->expect[(*rlen)++] = c;
		}
	}
	return head;
}

/*
 * Check a well-formed chain is walked exactly: the bytes it holds come
 * back, and its writable part takes what it offers.
 */
static void fuzz_expect_chain(struct fuzz *f, u16 want, size_t rlen,
			      size_t wlen)
{
	struct kunit *test = f->test;
	u16 head;
	int ret;

	ret = vringh_getdesc_mmio(&f->vrh, &f->riov, &f->wiov, fuzz_getrange,
				  &head, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, ret, 1);
	KUNIT_ASSERT_EQ(test, f->trapped, 0UL);
	KUNIT_ASSERT_EQ(test, head, want);
	fuzz_check_iov(f, &f->riov);
	fuzz_check_iov(f, &f->wiov);
	KUNIT_ASSERT_EQ(test, vringh_mmiov_length(&f->riov), rlen);
	KUNIT_ASSERT_EQ(test, vringh_mmiov_length(&f->wiov), wlen);
	KUNIT_ASSERT_EQ(test, vringh_iov_pull_mmio(&f->riov, f->scratch,
						   SCRATCH), (ssize_t)rlen);
	KUNIT_ASSERT_MEMEQ(test, f->scratch, f->expect, rlen);
	KUNIT_ASSERT_EQ(test, vringh_iov_push_mmio(&f->wiov, f->scratch,
						   SCRATCH), (ssize_t)wlen);
	KUNIT_ASSERT_EQ(test, vringh_complete_mmio(&f->vrh, head, wlen), 0);
}

/*
 * After any lie, the frontend resets and offers a clean ring: the same
 * backend, initialised again, must walk it as if nothing had happened.
 */
static void fuzz_recover(struct fuzz *f)
{
	struct kunit *test = f->test;
	unsigned int free = 0;
	size_t rlen, wlen;
	int head;

	KUNIT_ASSERT_TRUE_MSG(test, fuzz_guard_intact(f),
			      "write outside the window");
	fuzz_layout(f, f->num, f->features);
	KUNIT_ASSERT_EQ(test, fuzz_init_backend(f), 0);
	KUNIT_ASSERT_EQ(test, f->vrh.last_avail_idx, 0);
	prandom_bytes_state(&f->rnd, f->r[1].cpu, f->r[1].size);
	head = fuzz_good_chain(f, &free, min(f->num, 2U), false, &rlen, &wlen);
	KUNIT_ASSERT_GE(test, head, 0);
	put16(&f->vr.avail->ring[0], head);
	put16(&f->vr.avail->idx, 1);
	fuzz_expect_chain(f, head, rlen, wlen);
	KUNIT_ASSERT_EQ(test, get16(&f->vr.used->idx), 1);
	KUNIT_ASSERT_TRUE(test, fuzz_guard_intact(f));
}

/* Each ring has its own seed, from which all of it follows. */
static void fuzz_seed(struct fuzz *f, u64 id)
{
	prandom_seed_state(&f->rnd, seed ^ (id * 0x9e3779b97f4a7c15ULL));
}

static void fuzz_begin(struct fuzz *f, unsigned int num, u64 features)
{
	fuzz_layout(f, num, features);
	f->granule = chance(f, 20) ? 16 << rnd(f, 5) : 0;
	prandom_bytes_state(&f->rnd, f->r[1].cpu, f->r[1].size);
	KUNIT_ASSERT_EQ(f->test, fuzz_init_backend(f), 0);
	/* The backend may meet the ring anywhere in its life. */
	f->vrh.last_avail_idx = rnd(f, 0x10000);
	f->vrh.last_used_idx = rnd(f, 0x10000);
	put16(&f->vr.used->idx, f->vrh.last_used_idx);
}

/* Case kinds, each a way to lie. */
enum fuzz_kind {
	FUZZ_RANDOM,		/* every byte random, tables included */
	FUZZ_GOOD,		/* well formed: walked exactly */
	FUZZ_LOOP,		/* loops in the ring and in tables */
	FUZZ_LONG,		/* long and branching chains */
	FUZZ_INDIRECT,		/* tables of any size, flags and place */
	FUZZ_EDGES,		/* addresses at and across the window's edges */
	FUZZ_INDICES,		/* avail index jumping and rewound */
	FUZZ_EVENT,		/* event indices anywhere */
};

static void fuzz_random(struct fuzz *f)
{
	unsigned int t, tables = rnd(f, 4);

	fuzz_table(f, f->vr.desc, f->num);
	for (t = 0; t < tables; t++) {
		unsigned int n = 1 + rnd(f, 64);
		struct vring_desc *d;
		u64 bus;

		d = fuzz_table_spot(f, n, &bus);
		if (!d)
			continue;
		fuzz_table(f, d, n);
		/* Point some descriptors at it. */
		put_desc(&f->vr.desc[rnd(f, f->num)], bus,
			 chance(f, 70) ? n * 16 : fuzz_len(f),
			 VRING_DESC_F_INDIRECT | (chance(f, 20) ?
						  VRING_DESC_F_NEXT : 0),
			 fuzz_next(f, f->num));
	}
	fuzz_avail(f, f->vrh.last_avail_idx + rnd(f, f->num + 1), false);
	fuzz_drain(f);
}

static void fuzz_good(struct fuzz *f)
{
	unsigned int free = 0, chains = 0;
	u16 idx = f->vrh.last_avail_idx;
	size_t rlen, wlen;
	int head;

	/* One chain at a time, each checked on its own. */
	while (chains < 8) {
		bool indirect = chance(f, 40);
		unsigned int nsegs = 1 + rnd(f, indirect ? 32 : 8);

		head = fuzz_good_chain(f, &free, nsegs, indirect, &rlen, &wlen);
		if (head < 0)
			break;
		put16(&f->vr.avail->ring[(u16)(idx + chains) % f->num], head);
		chains++;
		put16(&f->vr.avail->idx, idx + chains);
		fuzz_expect_chain(f, head, rlen, wlen);
		f->ok++;
	}
	KUNIT_ASSERT_EQ(f->test, get16(&f->vr.used->idx),
			(u16)(f->vrh.last_used_idx + chains));
}

static void fuzz_loop(struct fuzz *f)
{
	struct vring_desc *d = f->vr.desc;
	unsigned int len = 1 + rnd(f, f->num), i, start = rnd(f, f->num);
	u64 bus = f->r[1].bus;

	/* A cycle of @len descriptors, entered at @start or from a tail. */
	for (i = 0; i < len; i++) {
		unsigned int me = (start + i) % f->num;

		put_desc(&d[me], bus + rnd(f, 64), 1 + rnd(f, 64),
			 VRING_DESC_F_NEXT | (chance(f, 10) ?
					      VRING_DESC_F_WRITE : 0),
			 (start + (i + 1) % len) % f->num);
	}
	if (chance(f, 40)) {
		/* ... or in an indirect table. */
		unsigned int n = 1 + rnd(f, 200);
		struct vring_desc *t;
		u64 tbus;

		t = fuzz_table_spot(f, n, &tbus);
		if (t) {
			for (i = 0; i < n; i++)
				put_desc(&t[i], bus, 8, VRING_DESC_F_NEXT,
					 (i + 1) % n);
			put_desc(&d[start], tbus, chance(f, 80) ? n * 16 :
				 fuzz_len(f) & ~15U, VRING_DESC_F_INDIRECT, 0);
		}
	}
	fuzz_avail(f, f->vrh.last_avail_idx + 1 + rnd(f, f->num), true);
	put16(&f->vr.avail->ring[f->vrh.last_avail_idx % f->num], start);
	fuzz_drain(f);
}

static void fuzz_long(struct fuzz *f)
{
	struct vring_desc *d = f->vr.desc;
	unsigned int i, n = f->num;
	u64 bus = f->r[1].bus;
	u16 order[MAX_NUM];

	/*
	 * One chain through every descriptor in a random order; the avail
	 * ring offers entries into its middle too, so chains share tails.
	 */

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--)
		swap(order[i], order[rnd(f, i + 1)]);
	for (i = 0; i < n; i++)
		put_desc(&d[order[i]], bus + rnd(f, PAGE_SIZE - 64),
			 1 + rnd(f, 64), i + 1 < n ? VRING_DESC_F_NEXT : 0,
			 i + 1 < n ? order[i + 1] : rnd(f, 0x10000));
	fuzz_avail(f, f->vrh.last_avail_idx + rnd(f, n + 1), true);
	for (i = 0; i < n; i++)
		if (chance(f, 50))
			put16(&f->vr.avail->ring[i], order[0]);
	fuzz_drain(f);
}

static void fuzz_indirect(struct fuzz *f)
{
	unsigned int i, n = rnd(f, 3) ? 1 + rnd(f, 32) : 1 + rnd(f, 256);
	struct vring_desc *t;
	u64 bus;
	u32 len;

	fuzz_table(f, f->vr.desc, f->num);
	t = fuzz_table_spot(f, n, &bus);
	if (!t) {
		n = 1;
		t = fuzz_table_spot(f, n, &bus);
	}
	/* Mostly good entries, some lies among them. */
	for (i = 0; i < n; i++) {
		if (chance(f, 80))
			put_desc(&t[i], f->r[1].bus + rnd(f, 2048),
				 1 + rnd(f, 64),
				 (i + 1 < n ? VRING_DESC_F_NEXT : 0) |
				 (i > n / 2 ? VRING_DESC_F_WRITE : 0), i + 1);
		else
			put_desc(&t[i], fuzz_addr(f), fuzz_len(f),
				 fuzz_flags(f), fuzz_next(f, n + 2));
	}
	switch (rnd(f, 6)) {
	case 0:
		len = n * 16;
		break;
	case 1:
		len = rnd(f, 64);			/* short, uneven */
		break;
	case 2:
		len = U32_MAX & ~15U;			/* far too long */
		break;
	case 3:
		len = (MAX_INDIRECT + 1 + rnd(f, 16)) * 16;
		break;
	default:
		len = 16 * (1 + rnd(f, n));
		break;
	}
	for (i = 0; i < f->num; i++)
		if (chance(f, 50))
			put_desc(&f->vr.desc[i], bus, len,
				 VRING_DESC_F_INDIRECT |
				 (chance(f, 20) ? fuzz_flags(f) : 0),
				 fuzz_next(f, f->num));
	fuzz_avail(f, f->vrh.last_avail_idx + rnd(f, f->num + 1), true);
	fuzz_drain(f);
}

static void fuzz_edges(struct fuzz *f)
{
	unsigned int i;

	for (i = 0; i < f->num; i++) {
		const struct fuzz_range *fr = &f->r[rnd(f, NR_RANGES)];
		u64 edge = rnd(f, 2) ? fr->bus : fr->bus + fr->size;
		s64 off = (s64)rnd(f, 64) - 32;
		u32 len = chance(f, 70) ? 1 + rnd(f, 64) : fuzz_len(f);
		u16 flags = rnd(f, 4) ? (chance(f, 20) ? VRING_DESC_F_WRITE : 0)
				      : fuzz_flags(f);

		put_desc(&f->vr.desc[i], edge + off, len, flags,
			 fuzz_next(f, f->num));
	}
	fuzz_avail(f, f->vrh.last_avail_idx + rnd(f, f->num + 1), true);
	fuzz_drain(f);
}

static void fuzz_indices(struct fuzz *f)
{
	unsigned int round;

	fuzz_table(f, f->vr.desc, f->num);
	for (round = 0; round < 4; round++) {
		u16 idx = f->vrh.last_avail_idx;

		switch (rnd(f, 5)) {
		case 0:
			idx += f->num + 1 + rnd(f, 0x10000 - f->num - 1);
			break;
		case 1:
			idx -= 1 + rnd(f, 16);		/* rewound */
			break;
		case 2:
			idx = rnd(f, 0x10000);
			break;
		default:
			idx += rnd(f, f->num + 1);
			break;
		}
		fuzz_avail(f, idx, chance(f, 50));
		fuzz_drain(f);
		if (chance(f, 50))
			KUNIT_ASSERT_EQ(f->test, fuzz_init_backend(f), 0);
	}
}

static void fuzz_event(struct fuzz *f)
{
	struct kunit *test = f->test;
	unsigned int round;
	int ret;

	fuzz_table(f, f->vr.desc, f->num);
	for (round = 0; round < 8; round++) {
		put16(&vring_used_event(&f->vr), rnd(f, 0x10000));
		put16(&f->vr.avail->flags, rnd(f, 0x10000));
		put16(&f->vr.avail->idx, f->vrh.last_avail_idx + rnd(f, 3));
		if (chance(f, 50)) {
			vringh_notify_disable_mmio(&f->vrh);
		} else {
			vringh_notify_enable_mmio(&f->vrh);
			/* Where it asked to be told, whatever was there. */
			if (f->vrh.event_indices)
				KUNIT_ASSERT_EQ(test,
						get16(&vring_avail_event(&f->vr)),
						f->vrh.last_avail_idx);
		}
		/* A burst of completions of made-up heads. */
		if (chance(f, 50)) {
			struct vring_used_elem used[8];
			unsigned int i, n = 1 + rnd(f, min(8U, f->num));

			for (i = 0; i < n; i++) {
				used[i].id = cpu_to_vringh32(&f->vrh,
							     rnd(f, f->num));
				used[i].len = cpu_to_vringh32(&f->vrh, 0);
			}
			KUNIT_ASSERT_EQ(test,
					vringh_complete_multi_mmio(&f->vrh,
								   used, n),
					0);
		}
		ret = vringh_need_notify_mmio(&f->vrh);
		KUNIT_ASSERT_TRUE(test, ret == 0 || ret == 1);
		if (chance(f, 30))
			fuzz_drain(f);
	}
}

/* The rings of one parameterised case: [first, first + n). */
struct fuzz_batch {
	u32 first, n;
};

static const void *fuzz_gen_batch(const void *prev, char *desc)
{
	static struct fuzz_batch batch;
	const struct fuzz_batch *p = prev;

	batch.first = p ? p->first + p->n : 0;
	if (batch.first >= cases)
		return NULL;
	batch.n = min_t(u32, BATCH, cases - batch.first);
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "rings_%u-%u", batch.first,
		 batch.first + batch.n - 1);
	return &batch;
}

/*
 * Run the rings of this batch that are this kind's, one in @every: the
 * kinds that cost more, or need fewer rings, run a share of them.
 */
static void fuzz_run(struct kunit *test, enum fuzz_kind kind,
		     unsigned int every)
{
	const struct fuzz_batch *batch = test->param_value;
	struct fuzz *f = test->priv;
	unsigned int i, rings = 0;

	for (i = batch->first; i < batch->first + batch->n; i++) {
		if (i % every)
			continue;
		fuzz_seed(f, ((u64)kind << 32) | i);
		fuzz_begin(f, fuzz_num(f), fuzz_features(f));
		switch (kind) {
		case FUZZ_RANDOM:
			fuzz_random(f);
			break;
		case FUZZ_GOOD:
			fuzz_good(f);
			break;
		case FUZZ_LOOP:
			fuzz_loop(f);
			break;
		case FUZZ_LONG:
			fuzz_long(f);
			break;
		case FUZZ_INDIRECT:
			fuzz_indirect(f);
			break;
		case FUZZ_EDGES:
			fuzz_edges(f);
			break;
		case FUZZ_INDICES:
			fuzz_indices(f);
			break;
		case FUZZ_EVENT:
			fuzz_event(f);
			break;
		}
		fuzz_recover(f);
		rings++;
		cond_resched();
	}
	kunit_info(test, "seed %#llx, %u rings: %lu chains, %lu bad chains, %lu broken rings, %lu empty\n",
		   seed, rings, f->ok, f->bad_chain, f->broken, f->empty);
}

static void vringh_mmio_fuzz_random(struct kunit *test)
{
	fuzz_run(test, FUZZ_RANDOM, 1);
}

static void vringh_mmio_fuzz_good(struct kunit *test)
{
	fuzz_run(test, FUZZ_GOOD, 4);
}

static void vringh_mmio_fuzz_loops(struct kunit *test)
{
	fuzz_run(test, FUZZ_LOOP, 4);
}

static void vringh_mmio_fuzz_long_chains(struct kunit *test)
{
	fuzz_run(test, FUZZ_LONG, 8);
}

static void vringh_mmio_fuzz_indirect(struct kunit *test)
{
	fuzz_run(test, FUZZ_INDIRECT, 2);
}

static void vringh_mmio_fuzz_edges(struct kunit *test)
{
	fuzz_run(test, FUZZ_EDGES, 2);
}

static void vringh_mmio_fuzz_indices(struct kunit *test)
{
	fuzz_run(test, FUZZ_INDICES, 4);
}

static void vringh_mmio_fuzz_event_idx(struct kunit *test)
{
	fuzz_run(test, FUZZ_EVENT, 4);
}

/* A second CPU rewrites the ring and the buffers while the walk goes on. */
struct fuzz_scribbler {
	struct fuzz *f;
	struct task_struct *task;
	struct rnd_state rnd;
	unsigned long writes;
};

static int fuzz_scribble_fn(void *data)
{
	struct fuzz_scribbler *s = data;
	struct fuzz *f = s->f;

	while (!kthread_should_stop()) {
		u32 v = prandom_u32_state(&s->rnd);
		u32 w = prandom_u32_state(&s->rnd);
		const struct fuzz_range *fr = &f->r[w % NR_RANGES];

		switch (v % 8) {
		case 0:
			/* Any byte of the window, the ring's included. */
			WRITE_ONCE(fr->cpu[(w >> 8) % fr->size], v >> 8);
			break;
		case 1:
			/* The avail index, mostly a plausible one. */
			put16(&f->vr.avail->idx,
			      READ_ONCE(f->vrh.last_avail_idx) +
			      (v >> 8) % (f->num + 2));
			break;
		case 2:
		case 3:
			put16(&f->vr.avail->ring[(v >> 8) % f->num],
			      (w >> 8) % (f->num + 1));
			break;
		default:
			put_desc(&f->vr.desc[(v >> 8) % f->num],
				 f->r[1].bus + w % 8192, (w >> 13) % 256,
				 (v >> 3) % 8, (v >> 16) % (f->num + 1));
			break;
		}
		if (!(++s->writes % 256))
			cond_resched();
	}
	return 0;
}

/* Stops the scribbler however the case ends, before the ranges go. */
static void fuzz_stop_scribbler(void *data)
{
	struct fuzz_scribbler *s = data;

	kthread_stop(s->task);
	put_task_struct(s->task);
}

static void vringh_mmio_fuzz_concurrent(struct kunit *test)
{
	const struct fuzz_batch *batch = test->param_value;
	struct fuzz *f = test->priv;
	struct fuzz_scribbler *s;
	unsigned int i, n = batch->n;
	int cpu;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->f = f;
	prandom_seed_state(&s->rnd, seed ^ batch->first ^ 0xc0ffee);
	fuzz_seed(f, (9ULL << 32) | batch->first);
	fuzz_begin(f, 16, BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
		   BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	f->granule = 0;
	fuzz_table(f, f->vr.desc, f->num);

	s->task = kthread_create(fuzz_scribble_fn, s, "vringh-fuzz");
	KUNIT_ASSERT_FALSE(test, IS_ERR(s->task));
	get_task_struct(s->task);
	cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	if (cpu < nr_cpu_ids)
		kthread_bind(s->task, cpu);
	else
		kunit_info(test, "one CPU: the scribbler is preempted, not parallel\n");
	wake_up_process(s->task);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							fuzz_stop_scribbler,
							s), 0);

	for (i = 0; i < n; i++) {
		unsigned long broken = f->broken;

		fuzz_drain(f);
		/* A broken ring is reset, as its device would be. */
		if (f->broken != broken || chance(f, 10))
			KUNIT_ASSERT_EQ(test, fuzz_init_backend(f), 0);
	}
	kunit_release_action(test, fuzz_stop_scribbler, s);
	kunit_info(test, "%u walks against %lu writes from another CPU: %lu chains, %lu bad chains, %lu broken rings\n",
		   n, s->writes, f->ok, f->bad_chain, f->broken);
	fuzz_recover(f);
}

/*
 * Regression: an indirect table that crosses from one range into the next,
 * where the two are adjacent in bus space but mapped apart. Each piece must
 * be read through its own range's translation.
 */
static void vringh_mmio_fuzz_split_table(struct kunit *test)
{
	struct fuzz *f = test->priv;
	const struct fuzz_range *r1 = &f->r[1], *r2 = &f->r[2];
	struct vring_desc t[4];
	unsigned int split, i;
	u64 tbus, buf;
	u16 head;

	for (split = 1; split < sizeof(t); split++) {
		fuzz_seed(f, split);
		fuzz_begin(f, 4, BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
		f->vrh.last_avail_idx = 0;
		f->vrh.last_used_idx = 0;
		put16(&f->vr.used->idx, 0);
		f->granule = 0;
		/* A table of 4 entries, @split bytes of it in range 1. */
		tbus = r1->bus + r1->size - split;
		buf = r2->bus + 256;
		for (i = 0; i < 4; i++)
			put_desc(&t[i], buf + 8 * i, 8, VRING_DESC_F_WRITE |
				 (i < 3 ? VRING_DESC_F_NEXT : 0), i + 1);
		memcpy(r1->cpu + r1->size - split, t, split);
		memcpy(r2->cpu, (u8 *)t + split, sizeof(t) - split);
		put_desc(&f->vr.desc[1], tbus, sizeof(t),
			 VRING_DESC_F_INDIRECT, 0);
		put16(&f->vr.avail->ring[0], 1);
		put16(&f->vr.avail->idx, 1);
		fuzz_expect_chain(f, 1, 0, 32);
		KUNIT_EXPECT_EQ(test, f->wiov.used, 4U);
		KUNIT_EXPECT_EQ(test, f->wiov.iov[3].addr, buf + 24);
		KUNIT_ASSERT_EQ(test, vringh_getdesc_mmio(&f->vrh, &f->riov,
							  &f->wiov,
							  fuzz_getrange,
							  &head, GFP_KERNEL),
				0);
		fuzz_recover(f);
	}
}

/*
 * Regression: a loop in an indirect table whose length claims far more
 * entries than a 16-bit next field can reach is refused, rather than
 * walked up to 2^28 times into an ever larger iov.
 */
static void vringh_mmio_fuzz_huge_table(struct kunit *test)
{
	static const u32 lens[] = {
		(MAX_INDIRECT + 1) * 16, U32_MAX & ~15U, 0x80000000,
	};
	struct fuzz *f = test->priv;
	struct vring_desc *t;
	unsigned int i;
	u16 head;
	int ret;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		fuzz_seed(f, i);
		fuzz_begin(f, 4, BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
		f->vrh.last_avail_idx = 0;
		f->granule = 0;
		t = (struct vring_desc *)f->r[3].cpu;
		put_desc(&t[0], f->r[1].bus, 8, VRING_DESC_F_NEXT, 0);
		put_desc(&f->vr.desc[0], f->r[3].bus, lens[i],
			 VRING_DESC_F_INDIRECT, 0);
		put16(&f->vr.avail->ring[0], 0);
		put16(&f->vr.avail->idx, 1);
		ret = vringh_getdesc_mmio(&f->vrh, &f->riov, &f->wiov,
					  fuzz_getrange, &head, GFP_KERNEL);
		KUNIT_EXPECT_EQ(test, ret, -E2BIG);
		KUNIT_EXPECT_EQ(test, head, 0);
		KUNIT_EXPECT_EQ(test, f->riov.used, 0U);
		fuzz_recover(f);
	}
}

/*
 * Regression: a ring chain of indirect descriptors each chained to the
 * next (which the specification forbids) enters a table again and again:
 * the chain still takes no more than one table's worth of descriptors.
 */
static void vringh_mmio_fuzz_table_chain(struct kunit *test)
{
	struct fuzz *f = test->priv;
	unsigned int i, n = PAGE_SIZE / 16, num = AREA_NUM;
	struct vring_desc *t;
	u16 head;
	int ret;

	fuzz_seed(f, 0);
	fuzz_begin(f, num, BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	f->vrh.last_avail_idx = 0;
	f->granule = 0;
	/* A table filling range 1, each entry a byte of range 2. */
	t = (struct vring_desc *)f->r[1].cpu;
	for (i = 0; i < n; i++)
		put_desc(&t[i], f->r[2].bus + i, 1,
			 i + 1 < n ? VRING_DESC_F_NEXT : 0, i + 1);
	/* Every ring descriptor points at it, and on to the next one. */
	for (i = 0; i < num; i++)
		put_desc(&f->vr.desc[i], f->r[1].bus, n * 16,
			 VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT,
			 (i + 1) % num);
	put16(&f->vr.avail->ring[0], 1);
	put16(&f->vr.avail->idx, 1);
	ret = vringh_getdesc_mmio(&f->vrh, &f->riov, &f->wiov, fuzz_getrange,
				  &head, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, ret, -E2BIG);
	KUNIT_EXPECT_EQ(test, head, 1);
	KUNIT_EXPECT_LE(test, f->riov.used, (unsigned int)MAX_INDIRECT);
	fuzz_recover(f);
}

static void fuzz_vfree(void *area)
{
	vfree(area);
}

static void fuzz_iov_cleanup(void *data)
{
	struct fuzz *f = data;

	vringh_mmiov_cleanup(&f->riov);
	vringh_mmiov_cleanup(&f->wiov);
}

static int vringh_fuzz_init(struct kunit *test)
{
	struct fuzz *f;
	unsigned int k;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->test = test;
	/*
	 * Separate areas, each followed by a guard page. Released as KUnit
	 * actions, after anything a case started (the scribbler) is stopped.
	 */
	for (k = 0; k < NR_RANGES; k++) {
		struct fuzz_range *fr = &f->r[k];

		fr->area_size = k ? PAGE_SIZE :
			PAGE_ALIGN(vring_size(AREA_NUM, RING_ALIGN));
		fr->area = vmalloc(fr->area_size);
		if (!fr->area ||
		    kunit_add_action_or_reset(test, fuzz_vfree, fr->area))
			return -ENOMEM;
	}
	f->scratch = kunit_kmalloc(test, SCRATCH, GFP_KERNEL);
	f->expect = kunit_kmalloc(test, SCRATCH, GFP_KERNEL);
	if (!f->scratch || !f->expect)
		return -ENOMEM;
	vringh_mmiov_init(&f->riov, f->rvec, ARRAY_SIZE(f->rvec));
	vringh_mmiov_init(&f->wiov, f->wvec, ARRAY_SIZE(f->wvec));
	if (kunit_add_action_or_reset(test, fuzz_iov_cleanup, f))
		return -ENOMEM;
	test->priv = f;
	return 0;
}

static struct kunit_case vringh_mmio_fuzz_cases[] = {
	KUNIT_CASE(vringh_mmio_fuzz_split_table),
	KUNIT_CASE(vringh_mmio_fuzz_huge_table),
	KUNIT_CASE(vringh_mmio_fuzz_table_chain),
	KUNIT_CASE_PARAM(vringh_mmio_fuzz_random, fuzz_gen_batch),
	KUNIT_CASE_PARAM(vringh_mmio_fuzz_good, fuzz_gen_batch),
	KUNIT_CASE_PARAM(vringh_mmio_fuzz_loops, fuzz_gen_batch),
	KUNIT_CASE_PARAM(vringh_mmio_fuzz_long_chains, fuzz_gen_batch),
	KUNIT_CASE_PARAM(vringh_mmio_fuzz_indirect, fuzz_gen_batch),
	KUNIT_CASE_PARAM(vringh_mmio_fuzz_edges, fuzz_gen_batch),
	KUNIT_CASE_PARAM(vringh_mmio_fuzz_indices, fuzz_gen_batch),
	KUNIT_CASE_PARAM(vringh_mmio_fuzz_event_idx, fuzz_gen_batch),
	KUNIT_CASE_PARAM(vringh_mmio_fuzz_concurrent, fuzz_gen_batch),
	{}
};

static struct kunit_suite vringh_mmio_fuzz_suite = {
	.name = "vringh_mmio_fuzz",
	.init = vringh_fuzz_init,
	.test_cases = vringh_mmio_fuzz_cases,
};

kunit_test_suite(vringh_mmio_fuzz_suite);

MODULE_DESCRIPTION("Hostile-ring fuzzer for the vringh MMIO accessors");
MODULE_LICENSE("GPL");
