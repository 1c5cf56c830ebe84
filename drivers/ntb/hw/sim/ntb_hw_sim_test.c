// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for ntb_hw_sim, included by ntb_hw_sim.c.
 *
 * They drive the first pair through the NTB API as a client would, and
 * check what a misbehaving client gets. The pair must exist (boot with
 * ntb_hw_sim.mem=) and must not be bound to a client, which is the case
 * when the tests run at boot and the clients are modules.
 */

#include <kunit/test.h>

struct ntb_sim_test;

/**
 * struct ntb_sim_test_ctx - client context of one side
 * @t:		the fixture.
 * @i:		the side.
 */
struct ntb_sim_test_ctx {
	struct ntb_sim_test	*t;
	int			i;
};

/**
 * struct ntb_sim_test - fixture
 * @side:	the two NTB devices of pair 0.
 * @ctx:	their client contexts.
 * @links:	link events seen by each side.
 * @dbs:	doorbell events seen by each side.
 * @msgs:	message events seen by each side.
 * @not_hardirq: events delivered outside hard interrupt context.
 */
struct ntb_sim_test {
	struct ntb_sim_side	*side[NTB_SIM_SIDES];
	struct ntb_sim_test_ctx	ctx[NTB_SIM_SIDES];
	atomic_t		links[NTB_SIM_SIDES];
	atomic_t		dbs[NTB_SIM_SIDES];
	atomic_t		msgs[NTB_SIM_SIDES];
	atomic_t		not_hardirq;
};

/* Count an event; events come from irq_work, in hard interrupt context. */
static void ntb_sim_test_event(void *ctx, size_t counter)
{
	struct ntb_sim_test_ctx *c = ctx;
	atomic_t *events = (void *)c->t + counter;

	atomic_inc(&events[c->i]);
	if (!IS_ENABLED(CONFIG_PREEMPT_RT) && !in_hardirq())
		atomic_inc(&c->t->not_hardirq);
}

static void ntb_sim_test_link_event(void *ctx)
{
	ntb_sim_test_event(ctx, offsetof(struct ntb_sim_test, links));
}

static void ntb_sim_test_db_event(void *ctx, int vector)
{
	ntb_sim_test_event(ctx, offsetof(struct ntb_sim_test, dbs));
}

static void ntb_sim_test_msg_event(void *ctx)
{
	ntb_sim_test_event(ctx, offsetof(struct ntb_sim_test, msgs));
}

static const struct ntb_ctx_ops ntb_sim_test_ctx_ops = {
	.link_event	= ntb_sim_test_link_event,
	.db_event	= ntb_sim_test_db_event,
	.msg_event	= ntb_sim_test_msg_event,
};

/* Events are delivered by irq_work: wait for what was raised so far. */
static void ntb_sim_test_sync(struct ntb_sim_test *t)
{
	int i;

	for (i = 0; i < NTB_SIM_SIDES; i++)
		irq_work_sync(&t->side[i]->irq_work);
}

/* Enable the link on both sides; peer registers need it. */
static void ntb_sim_test_link_up(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	int i;

	for (i = 0; i < NTB_SIM_SIDES; i++)
		KUNIT_ASSERT_EQ(test, 0, ntb_link_enable(&t->side[i]->ntb,
							 NTB_SPEED_AUTO,
							 NTB_WIDTH_AUTO));
	ntb_sim_test_sync(t);
	KUNIT_ASSERT_EQ(test, ntb_link_is_up(&t->side[0]->ntb, NULL, NULL), 1);
}

static void ntb_sim_test_restore_profile(void *data)
{
	ntb_sim_set_profile(data, ntb_sim_boot_profile);
}

/*
 * Replug pair 0 with the operations of profile @name, for the rest of the
 * test; the fixture's contexts are set again on the new devices.
 */
static void ntb_sim_test_use_profile(struct kunit *test, const char *name)
{
	const struct ntb_sim_profile *profile = ntb_sim_find_profile(name);
	struct ntb_sim_test *t = test->priv;
	struct ntb_sim_pair *pair = t->side[0]->pair;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, profile);
	for (i = 0; i < NTB_SIM_SIDES; i++)
		ntb_clear_ctx(&t->side[i]->ntb);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test,
						  ntb_sim_test_restore_profile,
						  pair));
	KUNIT_ASSERT_EQ(test, 0, ntb_sim_set_profile(pair, profile));
	for (i = 0; i < NTB_SIM_SIDES; i++) {
		KUNIT_ASSERT_PTR_EQ(test, t->side[i]->ntb.ops, profile->ops);
		KUNIT_ASSERT_EQ(test, 0, ntb_set_ctx(&t->side[i]->ntb,
						     &t->ctx[i],
						     &ntb_sim_test_ctx_ops));
	}
}

static int ntb_sim_test_init(struct kunit *test)
{
	struct ntb_sim_test *t;
	int i;

	if (!ntb_sim || !ntb_sim->pairs[0].side[0].registered ||
	    !ntb_sim->pairs[0].side[1].registered)
		kunit_skip(test, "no pair: boot with ntb_hw_sim.mem=SIZE@BASE");

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;

	for (i = 0; i < NTB_SIM_SIDES; i++) {
		t->side[i] = &ntb_sim->pairs[0].side[i];
		t->ctx[i].t = t;
		t->ctx[i].i = i;
		if (ntb_set_ctx(&t->side[i]->ntb, &t->ctx[i],
				&ntb_sim_test_ctx_ops)) {
			if (i)
				ntb_clear_ctx(&t->side[0]->ntb);
			kunit_skip(test, "pair 0 is bound to a client");
		}
	}

	return 0;
}

static void ntb_sim_test_exit(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	int i;

	if (!t)
		return;

	for (i = 0; i < NTB_SIM_SIDES; i++) {
		struct ntb_dev *ntb = &t->side[i]->ntb;

		ntb_link_disable(ntb);
		ntb_db_set_mask(ntb, ntb_db_valid_mask(ntb));
		ntb_db_clear(ntb, ntb_db_valid_mask(ntb));
		ntb_msg_clear_sts(ntb, ~0ULL);
		if (ntb_msg_count(ntb))
			ntb_msg_set_mask(ntb, ntb_msg_inbits(ntb) |
					 ntb_msg_outbits(ntb));
	}
	ntb_sim_test_sync(t);
	for (i = 0; i < NTB_SIM_SIDES; i++)
		ntb_clear_ctx(&t->side[i]->ntb);
	test->priv = NULL;
}

/* Only the window's own bus address and size translate the window. */
static void ntb_sim_test_mw_trans(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	struct ntb_dev *ntb = &t->side[0]->ntb;
	resource_size_t align, size_align, size_max, size;
	int before = atomic_read(&t->side[0]->rejected);
	int w, n = ntb_mw_count(ntb, 0);
	dma_addr_t bus;

	/* ntb_mw_get_align() needs the link. */
	ntb_link_enable(&t->side[0]->ntb, NTB_SPEED_AUTO, NTB_WIDTH_AUTO);
	ntb_link_enable(&t->side[1]->ntb, NTB_SPEED_AUTO, NTB_WIDTH_AUTO);

	KUNIT_ASSERT_GE(test, n, 2);
	for (w = 0; w < n; w++) {
		KUNIT_ASSERT_EQ(test, 0, ntb_mw_get_align(ntb, 0, w, &align,
							  &size_align,
							  &size_max));
		size = size_max;
		bus = t->side[0]->mw[w].bus;
		KUNIT_EXPECT_EQ(test, align, size);
		KUNIT_EXPECT_EQ(test, size_align, size);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(bus, align));

		KUNIT_EXPECT_EQ(test, -EINVAL,
				ntb_mw_set_trans(ntb, 0, w, bus + PAGE_SIZE,
						 size - PAGE_SIZE));
		KUNIT_EXPECT_EQ(test, -EINVAL,
				ntb_mw_set_trans(ntb, 0, w, bus - PAGE_SIZE,
						 size));
		KUNIT_EXPECT_EQ(test, -EINVAL,
				ntb_mw_set_trans(ntb, 0, w, bus, size + 1));
		KUNIT_EXPECT_EQ(test, -EINVAL,
				ntb_mw_set_trans(ntb, 0, w, bus, 0));
		KUNIT_EXPECT_EQ(test, -EINVAL,
				ntb_mw_set_trans(ntb, 0, w,
						 t->side[0]->mw[w].phys, size));
		KUNIT_EXPECT_EQ(test, -EINVAL,
				ntb_mw_set_trans(ntb, 0, w,
						 t->side[0]->mw[(w + 1) % n].bus,
						 size));
		KUNIT_EXPECT_EQ(test, -EINVAL,
				ntb_mw_set_trans(ntb, 1, w, bus, size));
		KUNIT_EXPECT_EQ(test, 0, ntb_mw_set_trans(ntb, 0, w, bus, size));
		KUNIT_EXPECT_EQ(test, 0, ntb_mw_clear_trans(ntb, 0, w));
	}
	KUNIT_EXPECT_EQ(test, -EINVAL, ntb_mw_set_trans(ntb, 0, n, bus, size));
	KUNIT_EXPECT_EQ(test, -EINVAL, ntb_mw_get_align(ntb, 0, -1, &align,
							NULL, NULL));
	KUNIT_EXPECT_GE(test, atomic_read(&t->side[0]->rejected), before + 9);
}

/*
 * The outbound window maps the peer's inbound window, by CPU physical
 * address inside the region, and bus addresses are not CPU addresses.
 */
static void ntb_sim_test_mw_addr(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	struct resource *region = ntb_sim->region;
	resource_size_t size;
	phys_addr_t phys;
	int w;

	for (w = 0; w < mw_count; w++) {
		struct ntb_sim_mw *mw = &t->side[1]->mw[w];

		KUNIT_ASSERT_EQ(test, 0, ntb_peer_mw_get_addr(&t->side[0]->ntb,
							      w, &phys, &size));
		KUNIT_EXPECT_EQ(test, phys, mw->phys);
		KUNIT_EXPECT_EQ(test, size, mw->size);
		KUNIT_EXPECT_GE(test, phys, region->start);
		KUNIT_EXPECT_LE(test, phys + size - 1, region->end);
		KUNIT_EXPECT_NE(test, (u64)mw->bus, (u64)mw->phys);
	}
	KUNIT_EXPECT_EQ(test, -EINVAL, ntb_peer_mw_get_addr(&t->side[0]->ntb,
							    w, &phys, &size));
}

/*
 * A buffer allocated for a window lands in that window, whatever the order
 * in which windows are set up; a second buffer of a busy window's size
 * does not.
 */
static void ntb_sim_test_mw_alloc(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	struct device *dev = &t->side[0]->pdev->dev;
	struct ntb_sim_mw *mw = t->side[0]->mw;
	dma_addr_t dma[NTB_SIM_MAX_MW], extra;
	void *buf[NTB_SIM_MAX_MW], *more;
	int w;

	for (w = mw_count - 1; w >= 0; w--) {
		buf[w] = dma_alloc_coherent(dev, mw[w].size, &dma[w],
					    GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, buf[w]);
		KUNIT_EXPECT_EQ(test, (u64)dma[w], (u64)mw[w].bus);
	}

	more = dma_alloc_coherent(dev, mw[mw_count - 1].size, &extra,
				  GFP_KERNEL);
	KUNIT_EXPECT_NULL(test, more);
	if (more)
		dma_free_coherent(dev, mw[mw_count - 1].size, more, extra);

	/* Free window 0, then set up window 1 alone. */
	dma_free_coherent(dev, mw[0].size, buf[0], dma[0]);
	dma_free_coherent(dev, mw[1].size, buf[1], dma[1]);
	buf[1] = dma_alloc_coherent(dev, mw[1].size, &dma[1], GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf[1]);
	KUNIT_EXPECT_EQ(test, (u64)dma[1], (u64)mw[1].bus);

	for (w = 1; w < mw_count; w++)
		dma_free_coherent(dev, mw[w].size, buf[w], dma[w]);
}

/*
 * A peer doorbell interrupts the other side, in hard interrupt context,
 * only while unmasked; unmasking a pending doorbell interrupts; bits
 * outside the valid mask are refused and ring nothing.
 */
static void ntb_sim_test_db(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	struct ntb_dev *a = &t->side[0]->ntb, *b = &t->side[1]->ntb;
	u64 valid = ntb_db_valid_mask(a);

	ntb_sim_test_link_up(test);
	KUNIT_EXPECT_EQ(test, ntb_db_read_mask(b), valid);
	KUNIT_EXPECT_EQ(test, 0, ntb_peer_db_set(a, BIT_ULL(1)));
	ntb_sim_test_sync(t);
	KUNIT_EXPECT_EQ(test, ntb_db_read(b), BIT_ULL(1));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->dbs[1]), 0);

	KUNIT_EXPECT_EQ(test, 0, ntb_db_clear_mask(b, BIT_ULL(1)));
	ntb_sim_test_sync(t);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->dbs[1]), 1);

	KUNIT_EXPECT_EQ(test, 0, ntb_peer_db_set(a, BIT_ULL(1)));
	ntb_sim_test_sync(t);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->dbs[1]), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->dbs[0]), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->not_hardirq), 0);

	KUNIT_EXPECT_EQ(test, 0, ntb_db_clear(b, BIT_ULL(1)));
	KUNIT_EXPECT_EQ(test, ntb_db_read(b), 0);

	if (valid != U64_MAX) {
		KUNIT_EXPECT_EQ(test, -EINVAL, ntb_peer_db_set(a, valid + 1));
		KUNIT_EXPECT_EQ(test, -EINVAL, ntb_db_set(a, valid + 1));
		KUNIT_EXPECT_EQ(test, -EINVAL, ntb_db_clear(a, valid + 1));
		KUNIT_EXPECT_EQ(test, -EINVAL,
				ntb_db_clear_mask(a, valid + 1));
		KUNIT_EXPECT_EQ(test, -EINVAL,
				ntb_peer_db_set_mask(a, valid + 1));
		ntb_sim_test_sync(t);
		KUNIT_EXPECT_EQ(test, ntb_db_read(b), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&t->dbs[1]), 2);
	}
}

/* A peer scratchpad is the other side's scratchpad. */
static void ntb_sim_test_spad(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	struct ntb_dev *a = &t->side[0]->ntb, *b = &t->side[1]->ntb;
	int i, n = ntb_spad_count(a);

	ntb_sim_test_link_up(test);
	KUNIT_ASSERT_GE(test, n, 16);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, 0, ntb_peer_spad_write(a, 0, i, 0xa0 + i));
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, ntb_spad_read(b, i), 0xa0 + i);
		KUNIT_EXPECT_EQ(test, ntb_peer_spad_read(a, 0, i), 0xa0 + i);
		KUNIT_EXPECT_EQ(test, 0, ntb_spad_write(b, i, 0));
	}

	KUNIT_EXPECT_EQ(test, -EINVAL, ntb_peer_spad_write(a, 0, n, 1));
	KUNIT_EXPECT_EQ(test, -EINVAL, ntb_peer_spad_write(a, 0, -1, 1));
	KUNIT_EXPECT_EQ(test, -EINVAL, ntb_peer_spad_write(a, 1, 0, 1));
	KUNIT_EXPECT_EQ(test, -EINVAL, ntb_spad_write(a, n, 1));
	KUNIT_EXPECT_EQ(test, 0, ntb_spad_read(a, n));
}

/*
 * A message sets the receiver's status bit and, unmasked, its event; a
 * second one before the bit is cleared fails and sets the sender's
 * outbound bit.
 */
static void ntb_sim_test_msg(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	struct ntb_dev *a = &t->side[0]->ntb, *b = &t->side[1]->ntb;
	u64 in = ntb_msg_inbits(b), out = ntb_msg_outbits(a);
	int pidx = -1;

	if (!ntb_msg_count(a))
		kunit_skip(test, "messages are off (msg_count=0)");

	ntb_sim_test_link_up(test);
	KUNIT_EXPECT_EQ(test, 0, ntb_msg_clear_mask(b, BIT_ULL(0)));
	KUNIT_EXPECT_EQ(test, 0, ntb_peer_msg_write(a, 0, 0, 0x1234));
	ntb_sim_test_sync(t);
	KUNIT_EXPECT_EQ(test, ntb_msg_read_sts(b) & in, BIT_ULL(0));
	KUNIT_EXPECT_EQ(test, ntb_msg_read(b, &pidx, 0), 0x1234);
	KUNIT_EXPECT_EQ(test, pidx, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->msgs[1]), 1);

	KUNIT_EXPECT_EQ(test, -EBUSY, ntb_peer_msg_write(a, 0, 0, 0x5678));
	KUNIT_EXPECT_EQ(test, ntb_msg_read(b, &pidx, 0), 0x1234);
	KUNIT_EXPECT_NE(test, ntb_msg_read_sts(a) & out, 0);

	KUNIT_EXPECT_EQ(test, 0, ntb_msg_clear_sts(b, in));
	KUNIT_EXPECT_EQ(test, 0, ntb_msg_clear_sts(a, out));
	KUNIT_EXPECT_EQ(test, 0, ntb_peer_msg_write(a, 0, 0, 0x5678));
	KUNIT_EXPECT_EQ(test, ntb_msg_read(b, &pidx, 0), 0x5678);

	KUNIT_EXPECT_EQ(test, -EINVAL,
			ntb_peer_msg_write(a, 0, ntb_msg_count(a), 1));
	KUNIT_EXPECT_EQ(test, -EINVAL, ntb_msg_set_mask(a, ~(in | out)));
	KUNIT_EXPECT_EQ(test, 0, ntb_msg_set_mask(b, in | out));
}

/*
 * The link is up when both sides enabled it and the cable is plugged;
 * every change is an event on both sides.
 */
static void ntb_sim_test_link(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	struct ntb_dev *a = &t->side[0]->ntb, *b = &t->side[1]->ntb;
	struct ntb_sim_pair *pair = t->side[0]->pair;
	enum ntb_speed speed;
	enum ntb_width width;
	unsigned long flags;

	KUNIT_EXPECT_EQ(test, ntb_port_number(a), 0);
	KUNIT_EXPECT_EQ(test, ntb_port_number(b), 1);
	KUNIT_EXPECT_EQ(test, ntb_peer_port_number(a, 0), 1);

	KUNIT_EXPECT_EQ(test, 0, ntb_link_enable(a, NTB_SPEED_AUTO,
						 NTB_WIDTH_AUTO));
	ntb_sim_test_sync(t);
	KUNIT_EXPECT_EQ(test, ntb_link_is_up(a, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->links[0]), 0);

	KUNIT_EXPECT_EQ(test, 0, ntb_link_enable(b, NTB_SPEED_GEN2,
						 NTB_WIDTH_AUTO));
	ntb_sim_test_sync(t);
	KUNIT_EXPECT_EQ(test, ntb_link_is_up(a, &speed, &width), 1);
	KUNIT_EXPECT_EQ(test, speed, min_t(int, link_speed, NTB_SPEED_GEN2));
	KUNIT_EXPECT_EQ(test, width, link_width);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->links[0]), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->links[1]), 1);

	spin_lock_irqsave(&pair->lock, flags);
	pair->cable = false;
	ntb_sim_link_update(pair);
	spin_unlock_irqrestore(&pair->lock, flags);
	ntb_sim_test_sync(t);
	KUNIT_EXPECT_EQ(test, ntb_link_is_up(b, &speed, &width), 0);
	KUNIT_EXPECT_EQ(test, speed, NTB_SPEED_NONE);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->links[1]), 2);

	spin_lock_irqsave(&pair->lock, flags);
	pair->cable = true;
	ntb_sim_link_update(pair);
	spin_unlock_irqrestore(&pair->lock, flags);
	KUNIT_EXPECT_EQ(test, ntb_link_is_up(b, NULL, NULL), 1);

	KUNIT_EXPECT_EQ(test, 0, ntb_link_disable(b));
	ntb_sim_test_sync(t);
	KUNIT_EXPECT_EQ(test, ntb_link_is_up(a, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->links[0]), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->not_hardirq), 0);
}

/*
 * With the link down, what crosses it is lost, as on hardware: writes to
 * the peer's scratchpads, doorbells and message registers are dropped,
 * reads of its registers return all ones, and both are counted. Local
 * registers still work; once the link is up, the same writes arrive.
 */
static void ntb_sim_test_link_down(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	struct ntb_dev *a = &t->side[0]->ntb, *b = &t->side[1]->ntb;
	s64 dropped = atomic64_read(&t->side[0]->dropped);
	s64 all_ones = atomic64_read(&t->side[0]->all_ones);
	int lost = 4;

	KUNIT_ASSERT_EQ(test, ntb_link_is_up(a, NULL, NULL), 0);

	KUNIT_EXPECT_EQ(test, 0, ntb_spad_write(b, 0, 0x1111));
	KUNIT_EXPECT_EQ(test, 0, ntb_peer_spad_write(a, 0, 0, 0x2222));
	KUNIT_EXPECT_EQ(test, ntb_spad_read(b, 0), 0x1111);
	KUNIT_EXPECT_EQ(test, ntb_peer_spad_read(a, 0, 0), U32_MAX);

	KUNIT_EXPECT_EQ(test, 0, ntb_db_clear_mask(b, BIT_ULL(1)));
	KUNIT_EXPECT_EQ(test, 0, ntb_peer_db_set(a, BIT_ULL(1)));
	KUNIT_EXPECT_EQ(test, 0, ntb_peer_db_set_mask(a, BIT_ULL(1)));
	KUNIT_EXPECT_EQ(test, 0, ntb_peer_db_clear(a, BIT_ULL(1)));
	ntb_sim_test_sync(t);
	KUNIT_EXPECT_EQ(test, ntb_db_read(b), 0);
	KUNIT_EXPECT_EQ(test, ntb_db_read_mask(b) & BIT_ULL(1), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->dbs[1]), 0);
	KUNIT_EXPECT_EQ(test, ntb_peer_db_read(a), U64_MAX);

	/* The local doorbell register is not across the link. */
	KUNIT_EXPECT_EQ(test, 0, ntb_db_set(b, BIT_ULL(2)));
	KUNIT_EXPECT_EQ(test, ntb_db_read(b), BIT_ULL(2));
	KUNIT_EXPECT_EQ(test, 0, ntb_db_clear(b, BIT_ULL(2)));

	if (ntb_msg_count(a)) {
		KUNIT_EXPECT_EQ(test, 0, ntb_peer_msg_write(a, 0, 0, 0x3333));
		KUNIT_EXPECT_EQ(test, ntb_msg_read_sts(b) & ntb_msg_inbits(b),
				0);
		KUNIT_EXPECT_NE(test, ntb_msg_read_sts(a) & ntb_msg_outbits(a),
				0);
		lost++;
	}
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->side[0]->dropped),
			dropped + lost);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->side[0]->all_ones),
			all_ones + 2);

	ntb_sim_test_link_up(test);
	KUNIT_EXPECT_EQ(test, 0, ntb_peer_spad_write(a, 0, 0, 0x2222));
	KUNIT_EXPECT_EQ(test, ntb_spad_read(b, 0), 0x2222);
	KUNIT_EXPECT_EQ(test, ntb_peer_spad_read(a, 0, 0), 0x2222);
	KUNIT_EXPECT_EQ(test, 0, ntb_peer_db_set(a, BIT_ULL(1)));
	ntb_sim_test_sync(t);
	KUNIT_EXPECT_EQ(test, ntb_db_read(b), BIT_ULL(1));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->dbs[1]), 1);
	KUNIT_EXPECT_EQ(test, 0, ntb_spad_write(b, 0, 0));
}

/*
 * Clearing a translation fills the window with all ones, what reads
 * through a window that leads nowhere return; setting one, or clearing a
 * window that had none, leaves the memory alone.
 */
static void ntb_sim_test_poison(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	struct ntb_sim_side *s1 = t->side[1];
	struct ntb_sim_mw *mw = &s1->mw[0];
	s64 poisoned = atomic64_read(&s1->poisoned);
	void __iomem *peer_view;
	resource_size_t size;
	phys_addr_t phys;
	dma_addr_t dma;
	void *buf;

	buf = dma_alloc_coherent(&s1->pdev->dev, mw->size, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, (u64)dma, (u64)mw->bus);
	memset(buf, 0x5a, mw->size);

	KUNIT_EXPECT_EQ(test, 0, ntb_mw_clear_trans(&s1->ntb, 0, 0));
	KUNIT_EXPECT_PTR_EQ(test, memchr_inv(buf, 0x5a, mw->size), NULL);
	KUNIT_EXPECT_EQ(test, 0, ntb_mw_set_trans(&s1->ntb, 0, 0, dma,
						  mw->size));
	KUNIT_EXPECT_PTR_EQ(test, memchr_inv(buf, 0x5a, mw->size), NULL);

	KUNIT_EXPECT_EQ(test, 0, ntb_mw_clear_trans(&s1->ntb, 0, 0));
	KUNIT_EXPECT_PTR_EQ(test, memchr_inv(buf, NTB_SIM_POISON, mw->size),
			    NULL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&s1->poisoned), poisoned + 1);

	/* The peer, through its outbound window, reads all ones. */
	KUNIT_EXPECT_EQ(test, 0, ntb_peer_mw_get_addr(&t->side[0]->ntb, 0,
						      &phys, &size));
	peer_view = ioremap_wc(phys, PAGE_SIZE);
	if (!peer_view) {
		KUNIT_FAIL(test, "cannot map the peer's window");
	} else {
		KUNIT_EXPECT_EQ(test, readl(peer_view), U32_MAX);
		iounmap(peer_view);
	}

	dma_free_coherent(&s1->pdev->dev, mw->size, buf, dma);
}

/*
 * Each profile has the operations of its hardware and no other: what the
 * hardware lacks is NULL, so that clients see it missing.
 */
static void ntb_sim_test_profiles(struct kunit *test)
{
	const struct ntb_dev_ops *intel = ntb_sim_find_profile("intel")->ops;
	const struct ntb_dev_ops *idt = ntb_sim_find_profile("idt")->ops;
	struct ntb_sim_test *t = test->priv;
	int i;

	for (i = 0; i < ARRAY_SIZE(ntb_sim_profiles); i++)
		KUNIT_EXPECT_TRUE_MSG(test,
				      ntb_dev_ops_is_valid(ntb_sim_profiles[i].ops),
				      "profile %s", ntb_sim_profiles[i].name);

	KUNIT_EXPECT_NOT_NULL(test, intel->spad_count);
	KUNIT_EXPECT_NOT_NULL(test, intel->peer_spad_write);
	KUNIT_EXPECT_NOT_NULL(test, intel->mw_set_trans);
	KUNIT_EXPECT_NULL(test, intel->mw_clear_trans);
	KUNIT_EXPECT_NULL(test, intel->peer_mw_set_trans);
	KUNIT_EXPECT_NULL(test, intel->msg_count);
	KUNIT_EXPECT_NULL(test, intel->peer_msg_write);
	KUNIT_EXPECT_NULL(test, intel->db_set);
	KUNIT_EXPECT_NULL(test, intel->peer_db_read);
	KUNIT_EXPECT_NULL(test, intel->peer_db_clear);
	KUNIT_EXPECT_NULL(test, intel->peer_db_read_mask);
	KUNIT_EXPECT_NULL(test, intel->peer_db_set_mask);
	KUNIT_EXPECT_NULL(test, intel->peer_db_clear_mask);

	KUNIT_EXPECT_NULL(test, idt->spad_count);
	KUNIT_EXPECT_NULL(test, idt->peer_spad_write);
	KUNIT_EXPECT_NULL(test, idt->mw_set_trans);
	KUNIT_EXPECT_NOT_NULL(test, idt->peer_mw_set_trans);
	KUNIT_EXPECT_NOT_NULL(test, idt->msg_count);
	KUNIT_EXPECT_NULL(test, idt->peer_db_set_mask);

	/* A client of a replugged pair sees the profile's counts. */
	ntb_sim_test_use_profile(test, "idt");
	KUNIT_EXPECT_EQ(test, ntb_spad_count(&t->side[0]->ntb), 0);
	KUNIT_EXPECT_GT(test, ntb_msg_count(&t->side[0]->ntb), 0);
	ntb_sim_test_use_profile(test, "intel");
	KUNIT_EXPECT_GT(test, ntb_spad_count(&t->side[0]->ntb), 0);
	KUNIT_EXPECT_EQ(test, ntb_msg_count(&t->side[0]->ntb), 0);
}

/*
 * Intel: a translation is aligned to the window's size, its BAR's, and a
 * misaligned one is refused with -EINVAL; there is no clear operation,
 * and setting 0 clears it.
 */
static void ntb_sim_test_align(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	resource_size_t addr_align, size_align, size_max, size;
	struct ntb_sim_mw *mw;
	struct ntb_dev *ntb;
	int rejected;
	dma_addr_t bus;

	ntb_sim_test_use_profile(test, "intel");
	ntb = &t->side[0]->ntb;
	mw = &t->side[0]->mw[1];
	bus = mw->bus;
	size = mw->size;
	rejected = atomic_read(&t->side[0]->rejected);

	/* ntb_mw_get_align() needs the link. */
	ntb_sim_test_link_up(test);
	KUNIT_ASSERT_EQ(test, 0, ntb_mw_get_align(ntb, 0, 1, &addr_align,
						  &size_align, &size_max));
	KUNIT_EXPECT_EQ(test, addr_align, size);
	KUNIT_EXPECT_EQ(test, size_max, size);

	KUNIT_EXPECT_EQ(test, -EINVAL,
			ntb_mw_set_trans(ntb, 0, 1, bus + PAGE_SIZE, size));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			ntb_mw_set_trans(ntb, 0, 1, bus + addr_align / 2,
					 size));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			ntb_mw_set_trans(ntb, 0, 1, bus, size_align / 2));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			ntb_mw_set_trans(ntb, 0, 1, bus, size + size_align));
	/* Aligned, but not where the window's memory is. */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			ntb_mw_set_trans(ntb, 0, 1, bus + size, size));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->side[0]->rejected), rejected + 5);
	KUNIT_EXPECT_EQ(test, mw->xlat_size, 0);

	KUNIT_EXPECT_EQ(test, 0, ntb_mw_set_trans(ntb, 0, 1, bus, size));
	KUNIT_EXPECT_EQ(test, mw->xlat_size, size);
	KUNIT_EXPECT_EQ(test, 0, ntb_mw_clear_trans(ntb, 0, 1));
	KUNIT_EXPECT_EQ(test, mw->xlat_size, 0);
}

/*
 * IDT: the peer sets a window's translation, on its outbound side, and
 * is refused a misaligned one; a local translation is no operation; the
 * peer's clear poisons the window.
 */
static void ntb_sim_test_peer_trans(struct kunit *test)
{
	struct ntb_sim_test *t = test->priv;
	struct ntb_sim_side *s1 = t->side[1];
	struct ntb_sim_mw *mw = &s1->mw[0];
	struct ntb_dev *a;
	s64 poisoned;

	ntb_sim_test_use_profile(test, "idt");
	a = &t->side[0]->ntb;
	poisoned = atomic64_read(&s1->poisoned);

	KUNIT_EXPECT_EQ(test, -EINVAL,
			ntb_peer_mw_set_trans(a, 0, 0, mw->bus + PAGE_SIZE,
					      mw->size));
	KUNIT_EXPECT_EQ(test, 0, ntb_mw_set_trans(&s1->ntb, 0, 0, mw->bus,
						  mw->size));
	KUNIT_EXPECT_EQ(test, mw->xlat_size, 0);

	KUNIT_EXPECT_EQ(test, 0, ntb_peer_mw_set_trans(a, 0, 0, mw->bus,
						       mw->size));
	KUNIT_EXPECT_EQ(test, mw->xlat_size, mw->size);
	KUNIT_EXPECT_EQ(test, 0, ntb_peer_mw_clear_trans(a, 0, 0));
	KUNIT_EXPECT_EQ(test, mw->xlat_size, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&s1->poisoned), poisoned + 1);
	KUNIT_EXPECT_PTR_EQ(test,
			    memchr_inv(s1->pool_virt + (mw->bus - s1->pool_bus),
				       NTB_SIM_POISON, mw->size), NULL);
}

static struct kunit_case ntb_sim_test_cases[] = {
	KUNIT_CASE(ntb_sim_test_mw_trans),
	KUNIT_CASE(ntb_sim_test_mw_addr),
	KUNIT_CASE(ntb_sim_test_mw_alloc),
	KUNIT_CASE(ntb_sim_test_db),
	KUNIT_CASE(ntb_sim_test_spad),
	KUNIT_CASE(ntb_sim_test_msg),
	KUNIT_CASE(ntb_sim_test_link),
	KUNIT_CASE(ntb_sim_test_link_down),
	KUNIT_CASE(ntb_sim_test_poison),
	KUNIT_CASE(ntb_sim_test_profiles),
	KUNIT_CASE(ntb_sim_test_align),
	KUNIT_CASE(ntb_sim_test_peer_trans),
	{}
};

static struct kunit_suite ntb_sim_test_suite = {
	.name		= "ntb_hw_sim",
	.init		= ntb_sim_test_init,
	.exit		= ntb_sim_test_exit,
	.test_cases	= ntb_sim_test_cases,
};

kunit_test_suite(ntb_sim_test_suite);
