// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the vringh MMIO accessors.
 *
 * A real virtio_ring frontend queue lives in a buffer that plays the other
 * side's memory. The backend reaches it only as __iomem through the
 * vringh_*_mmio() family, and reaches buffers only through a getrange()
 * callback that accepts the buffer and nothing else, as a transport would
 * accept its window. The "lying ring" cases write the ring by hand.
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/vringh.h>

#define WIN_SIZE	SZ_16K
#define RING_ALIGN	64
#define BUF_OFFSET	SZ_4K	/* buffers follow the ring in the window */
#define TOP_PAGE	(U64_MAX - PAGE_SIZE + 1)

struct vringh_mmio_test {
	struct virtio_device vdev;
	struct virtqueue *vq;
	struct vringh vrh;
	struct vring vring;		/* the ring as the frontend sees it */
	void *win;			/* the other side's memory */
	phys_addr_t win_phys;
	bool any_ram;			/* getrange accepts all of the RAM */
	bool top_page;			/* and the top page of bus space */
	unsigned int getrange_calls;
	unsigned int kicks;
	struct vringh_mmiovec rvec[4], wvec[4];
	struct vringh_mmiov riov, wiov;
};

static struct vringh_mmio_test *to_test(struct vringh *vrh)
{
	return container_of(vrh, struct vringh_mmio_test, vrh);
}

static bool test_getrange(struct vringh *vrh, u64 addr, struct vringh_range *r)
{
	struct vringh_mmio_test *t = to_test(vrh);

	t->getrange_calls++;
	if (t->top_page && addr >= TOP_PAGE) {
		/* Never dereferenced: the lies using it fail or stop early. */
		r->start = TOP_PAGE;
		r->end_incl = U64_MAX;
		r->offset = (u64)(uintptr_t)t->win - TOP_PAGE;
		return true;
	}
	if (t->any_ram && pfn_valid(PHYS_PFN(addr)) &&
	    !PageHighMem(pfn_to_page(PHYS_PFN(addr)))) {
		/* One page at a time: the direct map is linear per page. */
		r->start = addr & PAGE_MASK;
		r->end_incl = r->start + PAGE_SIZE - 1;
		r->offset = (u64)(uintptr_t)phys_to_virt(r->start) - r->start;
		return true;
	}
	if (addr < t->win_phys || addr >= t->win_phys + WIN_SIZE)
		return false;
	r->start = t->win_phys;
	r->end_incl = t->win_phys + WIN_SIZE - 1;
	r->offset = (u64)(uintptr_t)t->win - t->win_phys;
	return true;
}

static void test_callback(struct virtqueue *vq)
{
}

static bool test_kick(struct virtqueue *vq)
{
	struct vringh_mmio_test *t = vq->priv;

	t->kicks++;
	return true;
}

static void *win_buf(struct vringh_mmio_test *t, size_t off)
{
	return t->win + BUF_OFFSET + off;
}

static u64 win_bus(struct vringh_mmio_test *t, void *p)
{
	return t->win_phys + (p - t->win);
}

/* The backend sees the frontend's ring only as I/O memory. */
static int init_backend(struct vringh_mmio_test *t, unsigned int num)
{
	return vringh_init_mmio(&t->vrh, t->vdev.features, num,
				(__force struct vring_desc __iomem *)t->vring.desc,
				(__force struct vring_avail __iomem *)t->vring.avail,
				(__force struct vring_used __iomem *)t->vring.used);
}

/* Set up a frontend queue of @num entries and the backend that walks it. */
static void setup_rings(struct kunit *test, unsigned int num, u64 features)
{
	struct vringh_mmio_test *t = test->priv;

	t->vdev.features = features | BIT_ULL(VIRTIO_F_VERSION_1);
	t->vq = vring_new_virtqueue(0, num, RING_ALIGN, &t->vdev, true, false,
				    t->win, test_kick, test_callback, "test");
	KUNIT_ASSERT_NOT_NULL(test, t->vq);
	t->vq->priv = t;
	KUNIT_ASSERT_LE(test, vring_size(num, RING_ALIGN), (size_t)BUF_OFFSET);

	vring_init(&t->vring, num, t->win, RING_ALIGN);
	KUNIT_ASSERT_EQ(test, init_backend(t, num), 0);
}

static int vringh_mmio_test_init(struct kunit *test)
{
	struct vringh_mmio_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	/* kmalloc, so that KASAN guards the end of the window. */
	t->win = kunit_kzalloc(test, WIN_SIZE, GFP_KERNEL);
	if (!t->win)
		return -ENOMEM;
	t->win_phys = virt_to_phys(t->win);
	INIT_LIST_HEAD(&t->vdev.vqs);
	spin_lock_init(&t->vdev.vqs_list_lock);
	vringh_mmiov_init(&t->riov, t->rvec, ARRAY_SIZE(t->rvec));
	vringh_mmiov_init(&t->wiov, t->wvec, ARRAY_SIZE(t->wvec));
	test->priv = t;
	return 0;
}

static void vringh_mmio_test_exit(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;

	if (t->vq)
		vring_del_virtqueue(t->vq);
	vringh_mmiov_cleanup(&t->riov);
	vringh_mmiov_cleanup(&t->wiov);
}

static int getdesc(struct vringh_mmio_test *t, u16 *head)
{
	return vringh_getdesc_mmio(&t->vrh, &t->riov, &t->wiov, test_getrange,
				   head, GFP_KERNEL);
}

static void vringh_mmio_init_checks(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	void __iomem *w = (__force void __iomem *)t->win;

	KUNIT_EXPECT_EQ(test, vringh_init_mmio(&t->vrh, 0, 16, w, w, w),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vringh_init_mmio(&t->vrh,
					       BIT_ULL(VIRTIO_F_VERSION_1),
					       12, w, w, w), -EINVAL);
	KUNIT_EXPECT_EQ(test, vringh_init_mmio(&t->vrh,
					       BIT_ULL(VIRTIO_F_VERSION_1),
					       0, w, w, w), -EINVAL);
	KUNIT_EXPECT_EQ(test, vringh_init_mmio(&t->vrh,
					       BIT_ULL(VIRTIO_F_VERSION_1),
					       16, w, w, w), 0);
	KUNIT_EXPECT_TRUE(test, t->vrh.little_endian);
	KUNIT_EXPECT_FALSE(test, t->vrh.weak_barriers);
}

/* Frontend to backend: one readable buffer, pulled through the window. */
static void vringh_mmio_out_buffer(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	u8 *buf, got[64];
	struct scatterlist sg;
	unsigned int len;
	u16 head;

	setup_rings(test, 16, 0);
	buf = win_buf(t, 0);
	memset(buf, 0x5a, 64);
	sg_init_one(&sg, buf, 64);
	KUNIT_ASSERT_EQ(test, virtqueue_add_outbuf(t->vq, &sg, 1, buf,
						   GFP_KERNEL), 0);

	KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
	KUNIT_EXPECT_EQ(test, t->riov.used, 1U);
	KUNIT_EXPECT_EQ(test, t->wiov.used, 0U);
	KUNIT_EXPECT_EQ(test, t->riov.iov[0].addr, win_bus(t, buf));
	KUNIT_EXPECT_PTR_EQ(test, (__force void *)t->riov.iov[0].vaddr,
			    (void *)buf);
	KUNIT_EXPECT_EQ(test, vringh_mmiov_length(&t->riov), (size_t)64);
	KUNIT_EXPECT_EQ(test, vringh_iov_pull_mmio(&t->riov, got, sizeof(got)),
			(ssize_t)64);
	KUNIT_EXPECT_MEMEQ(test, got, buf, 64);
	/* Nothing left: a further pull copies nothing. */
	KUNIT_EXPECT_EQ(test, vringh_iov_pull_mmio(&t->riov, got, 1), 0);

	KUNIT_ASSERT_EQ(test, vringh_complete_mmio(&t->vrh, head, 0), 0);
	KUNIT_EXPECT_PTR_EQ(test, virtqueue_get_buf(t->vq, &len), (void *)buf);
	KUNIT_EXPECT_EQ(test, len, 0U);
	/* The ring is empty again. */
	KUNIT_EXPECT_EQ(test, getdesc(t, &head), 0);
	KUNIT_EXPECT_EQ(test, head, 16);
}

/* Backend to frontend: one writable buffer, pushed through the window. */
static void vringh_mmio_in_buffer(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	u8 *buf, src[100];
	struct scatterlist sg;
	unsigned int len;
	u16 head;

	setup_rings(test, 16, 0);
	buf = win_buf(t, 0);
	sg_init_one(&sg, buf, 128);
	KUNIT_ASSERT_EQ(test, virtqueue_add_inbuf(t->vq, &sg, 1, buf,
						  GFP_KERNEL), 0);

	KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
	KUNIT_EXPECT_EQ(test, t->riov.used, 0U);
	KUNIT_EXPECT_EQ(test, t->wiov.used, 1U);
	memset(src, 0xa5, sizeof(src));
	KUNIT_EXPECT_EQ(test, vringh_iov_push_mmio(&t->wiov, src, sizeof(src)),
			(ssize_t)sizeof(src));
	KUNIT_ASSERT_EQ(test, vringh_complete_mmio(&t->vrh, head, sizeof(src)),
			0);

	KUNIT_EXPECT_PTR_EQ(test, virtqueue_get_buf(t->vq, &len), (void *)buf);
	KUNIT_EXPECT_EQ(test, len, (unsigned int)sizeof(src));
	KUNIT_EXPECT_MEMEQ(test, buf, src, sizeof(src));
	KUNIT_EXPECT_EQ(test, buf[sizeof(src)], 0);
}

/*
 * A chain of three readable and three writable segments, more than the
 * caller's arrays hold, walked in small steps that straddle segments.
 */
static void vringh_mmio_chain(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	struct scatterlist out[3], in[3], *sgs[] = { out, in };
	static const size_t sizes[3] = { 10, 1, 53 };
	u8 pattern[64], got[64];
	size_t off = 0, n;
	unsigned int len, i;
	u16 head;

	/* Only two entries in each array: the chain must grow them. */
	vringh_mmiov_init(&t->riov, t->rvec, 2);
	vringh_mmiov_init(&t->wiov, t->wvec, 2);
	setup_rings(test, 16, 0);

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = i * 7 + 1;
	sg_init_table(out, 3);
	sg_init_table(in, 3);
	for (i = 0; i < 3; i++) {
		memcpy(win_buf(t, off), pattern + off, sizes[i]);
		sg_set_buf(&out[i], win_buf(t, off), sizes[i]);
		sg_set_buf(&in[i], win_buf(t, 1024 + off), sizes[i]);
		off += sizes[i];
	}
	KUNIT_ASSERT_EQ(test, virtqueue_add_sgs(t->vq, sgs, 1, 1, t,
						GFP_KERNEL), 0);

	KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
	KUNIT_EXPECT_EQ(test, t->riov.used, 3U);
	KUNIT_EXPECT_EQ(test, t->wiov.used, 3U);
	KUNIT_EXPECT_TRUE(test, t->riov.max_num & VRINGH_IOV_ALLOCATED);
	KUNIT_EXPECT_EQ(test, t->wiov.iov[2].addr,
			win_bus(t, win_buf(t, 1024 + 11)));

	/* 7-byte steps cross every segment boundary at a different place. */
	for (off = 0; off < sizeof(got); off += n) {
		n = vringh_iov_pull_mmio(&t->riov, got + off, 7);
		if (!n)
			break;
	}
	KUNIT_EXPECT_EQ(test, off, sizeof(pattern));
	KUNIT_EXPECT_MEMEQ(test, got, pattern, sizeof(pattern));

	/* Skip the first 5 bytes, as a client skipping a header would. */
	KUNIT_EXPECT_EQ(test, vringh_mmiov_advance(&t->wiov, 5), (size_t)5);
	KUNIT_EXPECT_EQ(test, vringh_mmiov_length(&t->wiov), (size_t)59);
	KUNIT_EXPECT_EQ(test, vringh_iov_push_mmio(&t->wiov, pattern, 100),
			(ssize_t)59);
	KUNIT_EXPECT_MEMEQ(test, win_buf(t, 1024 + 5), pattern, 59);

	/* A reset walks the same segments again. */
	vringh_mmiov_reset(&t->riov);
	KUNIT_EXPECT_EQ(test, vringh_iov_pull_mmio(&t->riov, got, 64),
			(ssize_t)64);
	KUNIT_EXPECT_MEMEQ(test, got, pattern, sizeof(pattern));

	KUNIT_ASSERT_EQ(test, vringh_complete_mmio(&t->vrh, head, 64), 0);
	KUNIT_EXPECT_PTR_EQ(test, virtqueue_get_buf(t->vq, &len), (void *)t);
	KUNIT_EXPECT_EQ(test, len, 64U);
}

/* With arrays large enough, the walk allocates nothing. */
static void vringh_mmio_no_alloc(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	struct scatterlist sg[2];
	unsigned int i, len;
	u16 head;

	setup_rings(test, 8, 0);
	for (i = 0; i < 32; i++) {
		sg_init_table(sg, 2);
		sg_set_buf(&sg[0], win_buf(t, 0), 8);
		sg_set_buf(&sg[1], win_buf(t, 64), 8);
		KUNIT_ASSERT_EQ(test, virtqueue_add_outbuf(t->vq, sg, 2, t,
							   GFP_KERNEL), 0);
		KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
		KUNIT_ASSERT_EQ(test, vringh_complete_mmio(&t->vrh, head, 0),
				0);
		KUNIT_ASSERT_NOT_NULL(test, virtqueue_get_buf(t->vq, &len));
	}
	KUNIT_EXPECT_PTR_EQ(test, t->riov.iov, &t->rvec[0]);
	KUNIT_EXPECT_FALSE(test, t->riov.max_num & VRINGH_IOV_ALLOCATED);
}

/* Indirect tables are allocated by the frontend anywhere in RAM. */
static void vringh_mmio_indirect(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	struct scatterlist out[4], in[1], *sgs[] = { out, in };
	struct vring_desc *d;
	unsigned int i, len;
	u8 got[16], reply = 0x77;
	u16 head;

	t->any_ram = true;
	setup_rings(test, 16, BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	sg_init_table(out, 4);
	for (i = 0; i < 4; i++) {
		memset(win_buf(t, i * 64), i + 1, 4);
		sg_set_buf(&out[i], win_buf(t, i * 64), 4);
	}
	sg_init_one(&in[0], win_buf(t, 1024), 1);
	KUNIT_ASSERT_EQ(test, virtqueue_add_sgs(t->vq, sgs, 1, 1, t,
						GFP_KERNEL), 0);

	/* The frontend really used an indirect table. */
	d = &t->vring.desc[virtio16_to_cpu(&t->vdev, t->vring.avail->ring[0])];
	KUNIT_ASSERT_TRUE(test, virtio16_to_cpu(&t->vdev, d->flags) &
				VRING_DESC_F_INDIRECT);

	KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
	KUNIT_EXPECT_EQ(test, t->riov.used, 4U);
	KUNIT_EXPECT_EQ(test, t->wiov.used, 1U);
	KUNIT_EXPECT_EQ(test, vringh_iov_pull_mmio(&t->riov, got, sizeof(got)),
			(ssize_t)16);
	for (i = 0; i < 16; i++)
		KUNIT_EXPECT_EQ(test, got[i], i / 4 + 1);
	KUNIT_EXPECT_EQ(test, vringh_iov_push_mmio(&t->wiov, &reply, 1),
			(ssize_t)1);
	KUNIT_ASSERT_EQ(test, vringh_complete_mmio(&t->vrh, head, 1), 0);
	KUNIT_EXPECT_PTR_EQ(test, virtqueue_get_buf(t->vq, &len), (void *)t);
	KUNIT_EXPECT_EQ(test, *(u8 *)win_buf(t, 1024), reply);
}

/* Notification suppression both ways, without and with event index. */
static void vringh_mmio_notify_flags(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	struct scatterlist sg;
	unsigned int len;
	u16 head;

	setup_rings(test, 16, 0);
	sg_init_one(&sg, win_buf(t, 0), 8);

	/* Backend polling: the frontend must not kick. */
	vringh_notify_disable_mmio(&t->vrh);
	KUNIT_ASSERT_EQ(test, virtqueue_add_outbuf(t->vq, &sg, 1, t,
						   GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, virtqueue_kick_prepare(t->vq));
	/* Re-enabling reports the buffer that slipped in. */
	KUNIT_EXPECT_FALSE(test, vringh_notify_enable_mmio(&t->vrh));
	KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
	KUNIT_EXPECT_TRUE(test, vringh_notify_enable_mmio(&t->vrh));
	KUNIT_ASSERT_EQ(test, virtqueue_add_outbuf(t->vq, &sg, 1, t,
						   GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, virtqueue_kick_prepare(t->vq));

	/* Frontend with callbacks off: no interrupt needed. */
	virtqueue_disable_cb(t->vq);
	KUNIT_ASSERT_EQ(test, vringh_complete_mmio(&t->vrh, head, 0), 0);
	KUNIT_EXPECT_EQ(test, vringh_need_notify_mmio(&t->vrh), 0);
	KUNIT_EXPECT_NOT_NULL(test, virtqueue_get_buf(t->vq, &len));
	virtqueue_enable_cb(t->vq);
	KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
	KUNIT_ASSERT_EQ(test, vringh_complete_mmio(&t->vrh, head, 0), 0);
	KUNIT_EXPECT_EQ(test, vringh_need_notify_mmio(&t->vrh), 1);
}

/* Where the backend asked to be notified, as the frontend reads it. */
static u16 avail_event(struct vringh_mmio_test *t)
{
	return virtio16_to_cpu(&t->vdev, vring_avail_event(&t->vring));
}

static void vringh_mmio_notify_event_idx(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	struct scatterlist sg;
	unsigned int len, i;
	u16 head;

	setup_rings(test, 16, BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	KUNIT_ASSERT_TRUE(test, t->vrh.event_indices);
	sg_init_one(&sg, win_buf(t, 0), 8);

	/* Asking at index 0: the first buffer kicks, the second does not. */
	KUNIT_EXPECT_TRUE(test, vringh_notify_enable_mmio(&t->vrh));
	KUNIT_EXPECT_EQ(test, avail_event(t), 0);
	KUNIT_ASSERT_EQ(test, virtqueue_add_outbuf(t->vq, &sg, 1, t,
						   GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, virtqueue_kick_prepare(t->vq));
	KUNIT_ASSERT_EQ(test, virtqueue_add_outbuf(t->vq, &sg, 1, t,
						   GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, virtqueue_kick_prepare(t->vq));

	/* Both consumed; ask again, at index 2. */
	for (i = 0; i < 2; i++) {
		KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
		KUNIT_ASSERT_EQ(test, vringh_complete_mmio(&t->vrh, head, 0),
				0);
	}
	KUNIT_EXPECT_TRUE(test, vringh_notify_enable_mmio(&t->vrh));
	KUNIT_EXPECT_EQ(test, avail_event(t), 2);

	/* The frontend asked for an interrupt at used index 0: we passed it. */
	KUNIT_EXPECT_EQ(test, vringh_need_notify_mmio(&t->vrh), 1);
	KUNIT_EXPECT_NOT_NULL(test, virtqueue_get_buf(t->vq, &len));
	KUNIT_EXPECT_NOT_NULL(test, virtqueue_get_buf(t->vq, &len));

	/* Delayed callback: only after 3/4 of the outstanding buffers. */
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, virtqueue_add_outbuf(t->vq, &sg, 1, t,
							   GFP_KERNEL), 0);
	KUNIT_ASSERT_TRUE(test, virtqueue_enable_cb_delayed(t->vq));
	KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
	KUNIT_ASSERT_EQ(test, vringh_complete_mmio(&t->vrh, head, 0), 0);
	KUNIT_EXPECT_EQ(test, vringh_need_notify_mmio(&t->vrh), 0);
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
		KUNIT_ASSERT_EQ(test, vringh_complete_mmio(&t->vrh, head, 0),
				0);
	}
	KUNIT_EXPECT_EQ(test, vringh_need_notify_mmio(&t->vrh), 1);
}

/* Run the 16-bit indices past 65535 on a small ring. */
#define WRAP_ROUNDS	(65536 + 8)

static void vringh_mmio_wrap(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	struct scatterlist sg;
	unsigned int i, len;
	u32 seq, got;
	u16 head;

	setup_rings(test, 4, BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	sg_init_one(&sg, win_buf(t, 0), sizeof(seq));
	for (i = 0; i < WRAP_ROUNDS; i++) {
		seq = i;
		memcpy(win_buf(t, 0), &seq, sizeof(seq));
		KUNIT_ASSERT_EQ(test, virtqueue_add_outbuf(t->vq, &sg, 1, t,
							   GFP_KERNEL), 0);
		KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
		KUNIT_ASSERT_EQ(test, vringh_iov_pull_mmio(&t->riov, &got,
							   sizeof(got)),
				(ssize_t)sizeof(got));
		KUNIT_ASSERT_EQ(test, got, i);
		KUNIT_ASSERT_EQ(test, vringh_complete_mmio(&t->vrh, head, 0),
				0);
		KUNIT_ASSERT_NOT_NULL(test, virtqueue_get_buf(t->vq, &len));
	}
	KUNIT_EXPECT_EQ(test, t->vrh.last_avail_idx, WRAP_ROUNDS % 65536);
	KUNIT_EXPECT_EQ(test, virtio16_to_cpu(&t->vdev, t->vring.used->idx),
			WRAP_ROUNDS % 65536);
}

/* Complete the chains of @n out buffers at once, chain i with length i. */
static void complete_multi(struct kunit *test, unsigned int n)
{
	struct vringh_mmio_test *t = test->priv;
	struct vring_used_elem used[4];
	struct scatterlist sg;
	unsigned int i, len;
	u16 used_idx, head;
	int cookie[4];

	KUNIT_ASSERT_LE(test, n, ARRAY_SIZE(used));
	for (i = 0; i < n; i++) {
		sg_init_one(&sg, win_buf(t, 8 * i), 8);
		KUNIT_ASSERT_EQ(test, virtqueue_add_inbuf(t->vq, &sg, 1,
							  &cookie[i],
							  GFP_KERNEL), 0);
	}
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
		used[i].id = cpu_to_vringh32(&t->vrh, head);
		used[i].len = cpu_to_vringh32(&t->vrh, i + 1);
	}

	used_idx = virtio16_to_cpu(&t->vdev, t->vring.used->idx);
	KUNIT_ASSERT_EQ(test, vringh_complete_multi_mmio(&t->vrh, used, n), 0);
	/* One index update for all of them. */
	KUNIT_EXPECT_EQ(test, virtio16_to_cpu(&t->vdev, t->vring.used->idx),
			(u16)(used_idx + n));
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_PTR_EQ(test, virtqueue_get_buf(t->vq, &len),
				    (void *)&cookie[i]);
		KUNIT_EXPECT_EQ(test, len, i + 1);
	}
	KUNIT_EXPECT_NULL(test, virtqueue_get_buf(t->vq, &len));
}

/* Several chains published together, in order, with their lengths. */
static void vringh_mmio_complete_multi(struct kunit *test)
{
	setup_rings(test, 4, 0);
	complete_multi(test, 3);
	complete_multi(test, 1);
}

/*
 * A batch that runs past the end of the used ring: entries 2, 3, then 0
 * and 1, published with one index update.
 */
static void vringh_mmio_complete_multi_wrap(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;

	setup_rings(test, 4, BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	complete_multi(test, 2);
	complete_multi(test, 4);
	KUNIT_EXPECT_EQ(test, virtio16_to_cpu(&t->vdev, t->vring.used->idx), 6);
	complete_multi(test, 3);
	KUNIT_EXPECT_EQ(test, t->vrh.last_avail_idx, 9);
}

/*
 * The lying rings are written by hand (the frontend queue only lays them
 * out). Each lie starts from a fresh backend, since one that found a broken
 * ring stays where it stopped, as a device needing a reset would.
 */
static void lie_desc(struct vring_desc *d, u64 addr, u32 len, u16 flags,
		     u16 next)
{
	/* The rings are VIRTIO_F_VERSION_1: little endian. */
	d->addr = (__force __virtio64)cpu_to_le64(addr);
	d->len = (__force __virtio32)cpu_to_le32(len);
	d->flags = (__force __virtio16)cpu_to_le16(flags);
	d->next = (__force __virtio16)cpu_to_le16(next);
}

/* Offer the chain at @head as the only new entry, @avail entries ahead. */
static int lie(struct kunit *test, u16 head, u16 avail, u16 *got)
{
	struct vringh_mmio_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, init_backend(t, t->vring.num), 0);
	t->vring.avail->ring[0] = (__force __virtio16)cpu_to_le16(head);
	t->vring.avail->idx = (__force __virtio16)cpu_to_le16(avail);
	return getdesc(t, got);
}

static void setup_lying_ring(struct kunit *test)
{
	setup_rings(test, 4, BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
}

static void vringh_mmio_lie_loop(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	u64 buf;
	u16 head;

	setup_lying_ring(test);
	buf = win_bus(t, win_buf(t, 0));
	lie_desc(&t->vring.desc[0], buf, 8, VRING_DESC_F_NEXT, 1);
	lie_desc(&t->vring.desc[1], buf, 8, VRING_DESC_F_NEXT, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), -ELOOP);
	KUNIT_EXPECT_EQ(test, head, 0);
}

/* All four descriptors chained, the last pointing back into the chain. */
static void vringh_mmio_lie_long_chain(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	u64 buf;
	u16 head, i;

	setup_lying_ring(test);
	buf = win_bus(t, win_buf(t, 0));
	for (i = 0; i < 4; i++)
		lie_desc(&t->vring.desc[i], buf, 8, VRING_DESC_F_NEXT,
			 (i + 1) % 4);
	KUNIT_EXPECT_EQ(test, lie(test, 2, 1, &head), -ELOOP);
}

static void vringh_mmio_lie_out_of_range(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	u64 end = t->win_phys + WIN_SIZE;
	struct vring_desc *d;
	u16 head;

	setup_lying_ring(test);
	d = &t->vring.desc[0];

	/* Entirely outside the window, above and below. */
	lie_desc(d, end, 8, 0, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), -EINVAL);
	lie_desc(d, t->win_phys - 8, 8, 0, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), -EINVAL);

	/* Starting inside, running past the end. */
	lie_desc(d, end - 8, 16, 0, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), -EINVAL);
	KUNIT_EXPECT_EQ(test, head, 0);

	/*
	 * A length that wraps around the top of the address space, in a
	 * range the transport accepts: only the wrap check refuses it. The
	 * same address with a length that fits is taken.
	 */
	t->top_page = true;
	lie_desc(d, U64_MAX - 4, 2, 0, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), 1);
	KUNIT_EXPECT_EQ(test, t->riov.iov[0].addr, U64_MAX - 4);
	lie_desc(d, U64_MAX - 4, U32_MAX, 0, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), -EINVAL);
	t->top_page = false;

	/* An indirect table outside the window. */
	lie_desc(d, end + 64, 32, VRING_DESC_F_INDIRECT, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), -EINVAL);

	/* An indirect table running past the end of the window. */
	lie_desc(d, end - 16, 32, VRING_DESC_F_INDIRECT, 0);
	lie_desc((void *)t->win + WIN_SIZE - 16, t->win_phys + BUF_OFFSET,
		 8, VRING_DESC_F_NEXT, 1);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), -EINVAL);

	/* The last byte of the window is fine. */
	lie_desc(d, end - 1, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), 1);
	KUNIT_EXPECT_EQ(test, t->riov.iov[0].addr, end - 1);
	KUNIT_EXPECT_PTR_EQ(test, (__force void *)t->riov.iov[0].vaddr,
			    t->win + WIN_SIZE - 1);
}

static void vringh_mmio_lie_avail_idx(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	u16 head;

	setup_lying_ring(test);
	lie_desc(&t->vring.desc[0], win_bus(t, win_buf(t, 0)), 8, 0, 0);
	/* Five new entries in a ring of four. */
	KUNIT_EXPECT_EQ(test, lie(test, 0, 5, &head), -EINVAL);
	KUNIT_EXPECT_EQ(test, head, 4);
	KUNIT_EXPECT_EQ(test, t->vrh.last_avail_idx, 0);
	/* Or 0xffff entries "behind". */
	KUNIT_EXPECT_EQ(test, lie(test, 0, 0xffff, &head), -EINVAL);

	/* Exactly a full ring is legal. */
	KUNIT_EXPECT_EQ(test, lie(test, 0, 4, &head), 1);
}

static void vringh_mmio_lie_indices(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	u64 buf;
	u16 head;

	setup_lying_ring(test);
	buf = win_bus(t, win_buf(t, 0));

	/* A head beyond the descriptor table. */
	KUNIT_EXPECT_EQ(test, lie(test, 4, 1, &head), -EINVAL);

	/* A next index beyond the descriptor table. */
	lie_desc(&t->vring.desc[0], buf, 8, VRING_DESC_F_NEXT, 9);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), -EINVAL);

	/* A readable descriptor after a writable one. */
	lie_desc(&t->vring.desc[1], buf, 8,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	lie_desc(&t->vring.desc[2], buf, 8, 0, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 1, 1, &head), -EINVAL);

	/* The same chain, mended, is accepted. */
	lie_desc(&t->vring.desc[1], buf, 8, VRING_DESC_F_NEXT, 2);
	KUNIT_EXPECT_EQ(test, lie(test, 1, 1, &head), 1);
	KUNIT_EXPECT_EQ(test, t->riov.used, 2U);
}

static void vringh_mmio_lie_indirect(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	struct vring_desc *table = win_buf(t, 2048);
	struct vring_desc *d;
	u64 buf, tbl;
	u16 head;

	setup_lying_ring(test);
	d = &t->vring.desc[0];
	buf = win_bus(t, win_buf(t, 0));
	tbl = win_bus(t, table);

	/* A table whose length is not a whole number of descriptors. */
	lie_desc(d, tbl, 24, VRING_DESC_F_INDIRECT, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), -EINVAL);

	/* An indirect table pointing to another one. */
	lie_desc(d, tbl, 32, VRING_DESC_F_INDIRECT, 0);
	lie_desc(&table[0], buf, 8, VRING_DESC_F_NEXT, 1);
	lie_desc(&table[1], tbl, 32, VRING_DESC_F_INDIRECT, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), -EINVAL);

	/* A loop inside the table. */
	lie_desc(&table[1], buf, 8, VRING_DESC_F_NEXT, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), -ELOOP);

	/* A next index past the table's end. */
	lie_desc(&table[1], buf, 8, VRING_DESC_F_NEXT, 2);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), -EINVAL);

	/* Mended, the same table is walked. */
	lie_desc(&table[1], buf + 8, 8, VRING_DESC_F_WRITE, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), 1);
	KUNIT_EXPECT_EQ(test, t->riov.used, 1U);
	KUNIT_EXPECT_EQ(test, t->wiov.used, 1U);
	KUNIT_EXPECT_EQ(test, t->wiov.iov[0].addr, buf + 8);
}

/* An indirect table split across the end of a range is read piecewise. */
static void vringh_mmio_indirect_split_range(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	struct vring_desc *table;
	u64 buf;
	u16 head;

	/* Per-page ranges, and a table straddling a page boundary. */
	t->any_ram = true;
	setup_lying_ring(test);
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED((unsigned long)t->win, PAGE_SIZE));
	table = win_buf(t, PAGE_SIZE - sizeof(*table));
	buf = win_bus(t, win_buf(t, 0));
	lie_desc(&t->vring.desc[0], win_bus(t, table), 2 * sizeof(*table),
		 VRING_DESC_F_INDIRECT, 0);
	lie_desc(&table[0], buf, 8, VRING_DESC_F_NEXT, 1);
	lie_desc(&table[1], buf + 8, 8, VRING_DESC_F_WRITE, 0);
	KUNIT_EXPECT_EQ(test, lie(test, 0, 1, &head), 1);
	KUNIT_EXPECT_EQ(test, t->riov.used, 1U);
	KUNIT_EXPECT_EQ(test, t->wiov.used, 1U);
	KUNIT_EXPECT_EQ(test, t->wiov.iov[0].addr, buf + 8);
}

static void vringh_mmio_abandon(struct kunit *test)
{
	struct vringh_mmio_test *t = test->priv;
	struct scatterlist sg;
	u16 head, again;

	setup_rings(test, 4, 0);
	sg_init_one(&sg, win_buf(t, 0), 8);
	KUNIT_ASSERT_EQ(test, virtqueue_add_outbuf(t->vq, &sg, 1, t,
						   GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, getdesc(t, &head), 1);
	vringh_abandon_mmio(&t->vrh, 1);
	KUNIT_ASSERT_EQ(test, getdesc(t, &again), 1);
	KUNIT_EXPECT_EQ(test, again, head);
	KUNIT_EXPECT_EQ(test, getdesc(t, &again), 0);
}

static struct kunit_case vringh_mmio_cases[] = {
	KUNIT_CASE(vringh_mmio_init_checks),
	KUNIT_CASE(vringh_mmio_out_buffer),
	KUNIT_CASE(vringh_mmio_in_buffer),
	KUNIT_CASE(vringh_mmio_chain),
	KUNIT_CASE(vringh_mmio_no_alloc),
	KUNIT_CASE(vringh_mmio_indirect),
	KUNIT_CASE(vringh_mmio_notify_flags),
	KUNIT_CASE(vringh_mmio_notify_event_idx),
	KUNIT_CASE_SLOW(vringh_mmio_wrap),
	KUNIT_CASE(vringh_mmio_complete_multi),
	KUNIT_CASE(vringh_mmio_complete_multi_wrap),
	KUNIT_CASE(vringh_mmio_lie_loop),
	KUNIT_CASE(vringh_mmio_lie_long_chain),
	KUNIT_CASE(vringh_mmio_lie_out_of_range),
	KUNIT_CASE(vringh_mmio_lie_avail_idx),
	KUNIT_CASE(vringh_mmio_lie_indices),
	KUNIT_CASE(vringh_mmio_lie_indirect),
	KUNIT_CASE(vringh_mmio_indirect_split_range),
	KUNIT_CASE(vringh_mmio_abandon),
	{}
};

static struct kunit_suite vringh_mmio_suite = {
	.name = "vringh_mmio",
	.init = vringh_mmio_test_init,
	.exit = vringh_mmio_test_exit,
	.test_cases = vringh_mmio_cases,
};

kunit_test_suite(vringh_mmio_suite);

MODULE_DESCRIPTION("KUnit tests for the vringh MMIO accessors");
MODULE_LICENSE("GPL");
