// SPDX-License-Identifier: GPL-2.0
/*
 * Software NTB device pairs, so that NTB clients can be tested without
 * hardware.
 *
 * Each pair is two NTB devices in one kernel, wired back to back: what one
 * side writes through an outbound memory window lands in the buffer the
 * other side translated that window to, doorbells and messages raise events
 * on the other side, and each side's scratchpads are the other side's peer
 * scratchpads. ntb_transport, ntb_netdev, ntb_perf, ntb_tool and
 * ntb_pingpong run on it unchanged.
 *
 * Memory windows live in a physical region that is not System RAM (on x86
 * reserved with memmap=SIZE$BASE, with device tree a no-map reserved-memory
 * node), so that a client can ioremap() a window as it does a BAR. Each
 * side's part of the region is the coherent DMA pool of its PCI function:
 * clients allocate inbound buffers with dma_alloc_coherent() as usual, and
 * get bus addresses that differ from the CPU physical addresses, so a
 * client that confuses the two fails loudly instead of working by accident.
 *
 * There is no translation hardware: a window's outbound side always maps
 * the same memory, so the inbound translation must be that memory. Window k
 * is sized and placed in the pool so that the pool's allocator puts a
 * buffer of the window's size exactly there, whatever the order in which a
 * client allocates its windows; see ntb_sim_init_pair(). A translation
 * must be aligned as ntb_mw_get_align() says, and must be that address; a
 * doorbell, scratchpad or message index out of range is refused: a
 * misbehaving client gets an error, never a write outside the region.
 * When a translation is cleared, the window is filled with all ones.
 *
 * The sim is not kinder than hardware. With the link down, what crosses
 * it (peer scratchpads, peer doorbells, messages) is lost: writes are
 * dropped and reads return all ones, and both are counted. A profile gives
 * a pair the operation set of a kind of hardware: all of them, those of
 * Intel, AMD and Switchtec NTBs (scratchpads, no messages), or those of
 * IDT switches (messages, no scratchpads, translation set by the peer).
 *
 * Doorbell, message and link events are delivered from an irq_work, that
 * is from hard interrupt context, like the interrupt handler of a real
 * device. Each pair has a debugfs "link" knob that pulls the cable.
 *
 * See Documentation/driver-api/ntb_hw_sim.rst.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/ntb.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define NTB_SIM_NAME		"ntb_hw_sim"

/*
 * PCI IDs of the simulated functions. 0xffff is never assigned to a
 * vendor, so no driver for real hardware can match them.
 */
#define NTB_SIM_VENDOR_ID	0xffff
#define NTB_SIM_DEVICE_ID	0x0001

/* Two functions per pair, one pair per slot of one bus. */
#define NTB_SIM_MAX_PAIRS	32
#define NTB_SIM_MAX_MW		4
#define NTB_SIM_MAX_SPAD	64
#define NTB_SIM_MAX_DB		64
#define NTB_SIM_MAX_MSG		16

/* Message status: inbound bits from 0, outbound (failed) bits from 16. */
#define NTB_SIM_MSG_OUT_SHIFT	16

/* What a window holds once its translation is cleared: all ones. */
#define NTB_SIM_POISON		0xff

/*
 * Bus addresses of the windows: far from any CPU physical address, so
 * that ioremap() of a bus address fails and a bus address used as a
 * pointer faults. Each side gets its own range.
 */
#define NTB_SIM_BUS_BASE	0x4000000000000000ULL
#define NTB_SIM_BUS_STRIDE	SZ_1T

/* Pending events of a side, delivered by its irq_work. */
enum ntb_sim_event {
	NTB_SIM_EV_LINK,
	NTB_SIM_EV_DB,
	NTB_SIM_EV_MSG,
};

enum ntb_sim_side_index {
	NTB_SIM_USD,		/* port 0, NTB_TOPO_B2B_USD */
	NTB_SIM_DSD,		/* port 1, NTB_TOPO_B2B_DSD */
	NTB_SIM_SIDES,
};

/**
 * struct ntb_sim_profile - the operation set of a kind of NTB hardware
 * @name:	name, for the profile parameter and the debugfs "profile" file.
 * @ops:	the operations; those the hardware does not have are NULL, so
 *		that clients see them missing.
 */
struct ntb_sim_profile {
	const char			*name;
	const struct ntb_dev_ops	*ops;
};

/**
 * struct ntb_sim_mw - an inbound memory window of one side
 * @phys:	CPU physical address of the window's memory; the peer's
 *		outbound window maps it.
 * @bus:	bus address of the same memory, the only valid translation.
 * @size:	size of the window.
 * @xlat_addr:	translation set by the client, 0 if none.
 * @xlat_size:	size of that translation.
 */
struct ntb_sim_mw {
	phys_addr_t		phys;
	dma_addr_t		bus;
	resource_size_t		size;
	dma_addr_t		xlat_addr;
	resource_size_t		xlat_size;
};

/**
 * struct ntb_sim_side - one NTB device of a pair
 * @ntb:		the NTB device.
 * @pair:		the pair it belongs to.
 * @peer:		the other side.
 * @pdev:		its PCI function, while bound.
 * @pool_phys:		CPU physical address of its part of the region.
 * @pool_bus:		bus address of the same memory.
 * @pool_virt:		the sim's own mapping of it, to poison windows.
 * @guard:		first page of the pool, held so that windows' buffers
 *			land in their windows (see ntb_sim_init_pair()).
 * @guard_dma:		bus address of @guard.
 * @mw:			inbound memory windows.
 * @registered:		@ntb is registered: events may be delivered.
 * @link_enabled:	a client enabled the link.
 * @max_speed:		speed limit asked by the client.
 * @max_width:		width limit asked by the client.
 * @db:			doorbell bits set by the peer (or locally).
 * @db_mask:		masked doorbell bits.
 * @msg_sts:		message status: inbound and failed outbound bits.
 * @msg_mask:		masked message status bits.
 * @msg:		inbound message registers.
 * @spad:		scratchpads: read locally, written by either side.
 * @events:		pending &enum ntb_sim_event bits.
 * @irq_work:		delivers @events in hard interrupt context.
 * @rejected:		operations refused for bad arguments.
 * @db_irqs:		doorbell interrupts delivered, for comparing clients.
 * @dropped:		writes across the link (peer scratchpads, doorbells,
 *			messages) dropped because the link was down.
 * @all_ones:		reads across the link answered with all ones because
 *			the link was down.
 * @poisoned:		windows filled with all ones when their translation
 *			was cleared.
 *
 * Fields from @registered to @msg are protected by the pair's lock.
 */
struct ntb_sim_side {
	struct ntb_dev		ntb;
	struct ntb_sim_pair	*pair;
	struct ntb_sim_side	*peer;
	struct pci_dev		*pdev;
	phys_addr_t		pool_phys;
	dma_addr_t		pool_bus;
	void			*pool_virt;
	void			*guard;
	dma_addr_t		guard_dma;
	struct ntb_sim_mw	mw[NTB_SIM_MAX_MW];

	bool			registered;
	bool			link_enabled;
	enum ntb_speed		max_speed;
	enum ntb_width		max_width;
	u64			db;
	u64			db_mask;
	u64			msg_sts;
	u64			msg_mask;
	u32			msg[NTB_SIM_MAX_MSG];

	u32			spad[NTB_SIM_MAX_SPAD];

	unsigned long		events;
	struct irq_work		irq_work;
	atomic_t		rejected;
	atomic64_t		db_irqs;
	atomic64_t		dropped;
	atomic64_t		all_ones;
	atomic64_t		poisoned;
};

/**
 * struct ntb_sim_pair - two NTB devices wired back to back
 * @index:	number of the pair, also its PCI slot.
 * @lock:	protects the link state and the state of both sides.
 * @cable:	the cable is plugged in; the debugfs "link" knob.
 * @link_up:	the link is up: cable plugged, enabled on both sides.
 * @profile:	its operation set; changed only while both sides are unbound.
 * @side:	the two NTB devices.
 * @dbgfs:	its debugfs directory.
 */
struct ntb_sim_pair {
	unsigned int		index;
	spinlock_t		lock;	/* link, and both sides' state */
	bool			cable;
	bool			link_up;
	const struct ntb_sim_profile *profile;
	struct ntb_sim_side	side[NTB_SIM_SIDES];
	struct dentry		*dbgfs;
};

/**
 * struct ntb_sim - the simulator: a reserved region and a PCI bus
 * @sysdata:	x86 PCI bus data, for a PCI domain of its own.
 * @root:	parent of the PCI host bridge.
 * @region:	the reserved region, as requested.
 * @virt:	the sim's mapping of the region, to poison windows.
 * @busn:	bus number range of the PCI bus.
 * @bus:	the PCI bus, one function per side.
 * @dbgfs:	debugfs directory.
 * @npairs:	number of pairs.
 * @pairs:	the pairs.
 */
struct ntb_sim {
#ifdef CONFIG_X86
	struct pci_sysdata	sysdata;
#endif
	struct device		*root;
	struct resource		*region;
	void			*virt;
	struct resource		busn;
	struct pci_bus		*bus;
	struct dentry		*dbgfs;
	unsigned int		npairs;
	struct ntb_sim_pair	pairs[] __counted_by(npairs);
};

static struct ntb_sim *ntb_sim;

static char *mem;
module_param(mem, charp, 0444);
MODULE_PARM_DESC(mem, "Reserved region for the windows, SIZE@BASE (e.g. 64M@0x70000000); no pair is created without it");

static unsigned int pairs = 1;
module_param(pairs, uint, 0444);
MODULE_PARM_DESC(pairs, "Number of NTB device pairs (default 1, at most 32)");

static unsigned int mw_count = 2;
module_param(mw_count, uint, 0444);
MODULE_PARM_DESC(mw_count, "Memory windows per side (default 2, at most 4)");

static unsigned long long mw_size = SZ_2M;

static int ntb_sim_param_set_size(const char *val, const struct kernel_param *kp)
{
	unsigned long long size;
	char *end;

	size = memparse(val, &end);
	if (end == val || (*end && *end != '\n'))
		return -EINVAL;

	*(unsigned long long *)kp->arg = size;

	return 0;
}

static const struct kernel_param_ops ntb_sim_param_size_ops = {
	.set = ntb_sim_param_set_size,
	.get = param_get_ullong,
};

module_param_cb(mw_size, &ntb_sim_param_size_ops, &mw_size, 0444);
MODULE_PARM_DESC(mw_size, "Size of window 0, a power of two; window k is mw_size << k (default 2M)");

static unsigned int spad_count = 16;
module_param(spad_count, uint, 0444);
MODULE_PARM_DESC(spad_count, "Scratchpads per side (default 16, at most 64)");

static unsigned int db_count = 16;
module_param(db_count, uint, 0444);
MODULE_PARM_DESC(db_count, "Doorbell bits (default 16, at most 64)");

static unsigned int msg_count = 4;
module_param(msg_count, uint, 0444);
MODULE_PARM_DESC(msg_count, "Message registers per side, 0 for none (default 4, at most 16)");

static int link_speed = NTB_SPEED_GEN3;
module_param(link_speed, int, 0444);
MODULE_PARM_DESC(link_speed, "PCIe generation reported for the link (default 3)");

static int link_width = NTB_WIDTH_4;
module_param(link_width, int, 0444);
MODULE_PARM_DESC(link_width, "Lanes reported for the link (default 4)");

static char *profile;
module_param(profile, charp, 0444);
MODULE_PARM_DESC(profile, "Operation set of the pairs: full (default), intel (also AMD, Switchtec: scratchpads, no messages) or idt (messages, no scratchpads, translation by the peer)");

static const struct ntb_sim_profile *ntb_sim_boot_profile;

/* Serialises profile changes, which unbind and bind a pair's functions. */
static DEFINE_MUTEX(ntb_sim_profile_lock);

static inline struct ntb_sim_side *to_ntb_sim_side(const struct ntb_dev *ntb)
{
	return container_of(ntb, struct ntb_sim_side, ntb);
}

static u64 ntb_sim_db_valid(void)
{
	return GENMASK_ULL(db_count - 1, 0);
}

static u64 ntb_sim_msg_inbits(void)
{
	return msg_count ? GENMASK_ULL(msg_count - 1, 0) : 0;
}

static u64 ntb_sim_msg_outbits(void)
{
	return ntb_sim_msg_inbits() << NTB_SIM_MSG_OUT_SHIFT;
}

/* Count and report an operation refused for a bad argument. */
static __printf(2, 3) int ntb_sim_reject(struct ntb_sim_side *side,
					 const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	atomic_inc(&side->rejected);

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	dev_err_ratelimited(&side->ntb.dev, "%pV", &vaf);
	va_end(args);

	return -EINVAL;
}

/*
 * Whether an access to the peer's registers reaches them. It crosses the
 * link: with the link down, hardware drops a write, and completes a read
 * with all ones, which the caller returns. Either is counted.
 */
static bool ntb_sim_reaches_peer(struct ntb_sim_side *side, bool write)
{
	if (READ_ONCE(side->pair->link_up))
		return true;

	atomic64_inc(write ? &side->dropped : &side->all_ones);

	return false;
}

/*
 * Queue an event for a side, as its interrupt. The pair's lock is held,
 * so that no event reaches a side that is not registered.
 */
static void ntb_sim_raise(struct ntb_sim_side *side, enum ntb_sim_event ev)
{
	lockdep_assert_held(&side->pair->lock);

	if (!side->registered)
		return;

	set_bit(ev, &side->events);
	irq_work_queue(&side->irq_work);
}

/*
 * The "interrupt handler" of a side. It runs without the pair's lock:
 * clients call back into the device from their event callbacks, with
 * their own locks held.
 */
static void ntb_sim_irq_work(struct irq_work *work)
{
	struct ntb_sim_side *side = container_of(work, struct ntb_sim_side,
						 irq_work);
	unsigned long events = xchg(&side->events, 0);

	if (events & BIT(NTB_SIM_EV_LINK))
		ntb_link_event(&side->ntb);
	if (events & BIT(NTB_SIM_EV_DB)) {
		atomic64_inc(&side->db_irqs);
		ntb_db_event(&side->ntb, 0);
	}
	if (events & BIT(NTB_SIM_EV_MSG))
		ntb_msg_event(&side->ntb);
}

/* Link */

static void ntb_sim_link_update(struct ntb_sim_pair *pair)
{
	bool up;
	int i;

	lockdep_assert_held(&pair->lock);

	up = pair->cable && pair->side[NTB_SIM_USD].link_enabled &&
	     pair->side[NTB_SIM_DSD].link_enabled;
	if (up == pair->link_up)
		return;

	WRITE_ONCE(pair->link_up, up);
	for (i = 0; i < NTB_SIM_SIDES; i++)
		ntb_sim_raise(&pair->side[i], NTB_SIM_EV_LINK);
}

/* The slowest of what the module parameter and both clients allow. */
static int ntb_sim_link_limit(int limit, int a, int b)
{
	if (a > 0)
		limit = min(limit, a);
	if (b > 0)
		limit = min(limit, b);

	return limit;
}

static u64 ntb_sim_link_is_up(struct ntb_dev *ntb, enum ntb_speed *speed,
			      enum ntb_width *width)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);
	struct ntb_sim_pair *pair = side->pair;
	unsigned long flags;
	bool up;

	spin_lock_irqsave(&pair->lock, flags);
	up = pair->link_up;
	if (speed)
		*speed = up ? ntb_sim_link_limit(link_speed, side->max_speed,
						 side->peer->max_speed) :
			      NTB_SPEED_NONE;
	if (width)
		*width = up ? ntb_sim_link_limit(link_width, side->max_width,
						 side->peer->max_width) :
			      NTB_WIDTH_NONE;
	spin_unlock_irqrestore(&pair->lock, flags);

	return up ? BIT_ULL(NTB_DEF_PEER_IDX) : 0;
}

static int ntb_sim_link_enable(struct ntb_dev *ntb, enum ntb_speed max_speed,
			       enum ntb_width max_width)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);
	struct ntb_sim_pair *pair = side->pair;
	unsigned long flags;

	spin_lock_irqsave(&pair->lock, flags);
	side->link_enabled = true;
	side->max_speed = max_speed;
	side->max_width = max_width;
	ntb_sim_link_update(pair);
	spin_unlock_irqrestore(&pair->lock, flags);

	return 0;
}

static int ntb_sim_link_disable(struct ntb_dev *ntb)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);
	struct ntb_sim_pair *pair = side->pair;
	unsigned long flags;

	spin_lock_irqsave(&pair->lock, flags);
	side->link_enabled = false;
	ntb_sim_link_update(pair);
	spin_unlock_irqrestore(&pair->lock, flags);

	return 0;
}

/* Memory windows */

static struct ntb_sim_mw *ntb_sim_get_mw(struct ntb_sim_side *side, int pidx,
					 int widx)
{
	if (pidx != NTB_DEF_PEER_IDX || widx < 0 || widx >= mw_count)
		return NULL;

	return &side->mw[widx];
}

static int ntb_sim_mw_count(struct ntb_dev *ntb, int pidx)
{
	if (pidx != NTB_DEF_PEER_IDX)
		return -EINVAL;

	return mw_count;
}

/*
 * The translation address is aligned to the window's size, as on Intel
 * and AMD NTBs, whose windows are BARs. The size must be the window's
 * too, where Intel would take any size: the window is also where the
 * pool's allocator puts a buffer of that size and alignment, and a
 * smaller buffer would land elsewhere. ntb_sim_check_trans() enforces
 * both.
 */
static void ntb_sim_mw_align(const struct ntb_sim_mw *mw,
			     resource_size_t *addr_align,
			     resource_size_t *size_align,
			     resource_size_t *size_max)
{
	*addr_align = mw->size;
	*size_align = mw->size;
	*size_max = mw->size;
}

static int ntb_sim_mw_get_align(struct ntb_dev *ntb, int pidx, int widx,
				resource_size_t *addr_align,
				resource_size_t *size_align,
				resource_size_t *size_max)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);
	struct ntb_sim_mw *mw = ntb_sim_get_mw(side, pidx, widx);

	resource_size_t a, s, m;

	if (!mw)
		return ntb_sim_reject(side, "no window %d for peer %d\n",
				      widx, pidx);

	ntb_sim_mw_align(mw, &a, &s, &m);
	if (addr_align)
		*addr_align = a;
	if (size_align)
		*size_align = s;
	if (size_max)
		*size_max = m;

	return 0;
}

/*
 * A translation is checked as hardware checks it, against what
 * ntb_mw_get_align() reports, then against what the sim can do: the one
 * translation that leads to the window's memory. Both are -EINVAL.
 */
static int ntb_sim_check_trans(struct ntb_sim_side *side, struct ntb_sim_mw *mw,
			       int widx, dma_addr_t addr, resource_size_t size)
{
	resource_size_t addr_align, size_align, size_max;

	ntb_sim_mw_align(mw, &addr_align, &size_align, &size_max);

	if (!IS_ALIGNED(addr, addr_align) || !size ||
	    !IS_ALIGNED(size, size_align) || size > size_max)
		return ntb_sim_reject(side, "mw%d: %pad+%pa misaligned (%pa, %pa, max %pa)\n",
				      widx, &addr, &size, &addr_align,
				      &size_align, &size_max);

	if (addr != mw->bus)
		return ntb_sim_reject(side, "mw%d: %pad is not the window's memory %pad\n",
				      widx, &addr, &mw->bus);

	return 0;
}

/*
 * Set or clear the translation of @owner's inbound window @widx, for
 * @side: the window's own side, or its peer where the peer translates
 * (IDT). Address 0 and size 0 clear it, as the clear operations do.
 *
 * Once cleared, the window leads nowhere: on hardware the peer's reads
 * through it complete with all ones and its writes are dropped. The sim
 * cannot stop the peer's CPU accesses (the peer mapped the memory itself),
 * so it takes the buffer's data away instead: the window is filled with
 * all ones, and a client that still reads it, or reads what it did not
 * get through a live translation, sees that.
 */
static int ntb_sim_translate(struct ntb_sim_side *side,
			     struct ntb_sim_side *owner, int pidx, int widx,
			     dma_addr_t addr, resource_size_t size)
{
	struct ntb_sim_mw *mw = ntb_sim_get_mw(owner, pidx, widx);
	struct ntb_sim_pair *pair = side->pair;
	resource_size_t was;
	unsigned long flags;
	int ret;

	if (!mw)
		return ntb_sim_reject(side, "no window %d for peer %d\n",
				      widx, pidx);

	if (addr || size) {
		ret = ntb_sim_check_trans(side, mw, widx, addr, size);
		if (ret)
			return ret;
	}

	spin_lock_irqsave(&pair->lock, flags);
	was = mw->xlat_size;
	mw->xlat_addr = addr;
	mw->xlat_size = size;
	spin_unlock_irqrestore(&pair->lock, flags);

	if (was && !size) {
		memset(owner->pool_virt + (mw->bus - owner->pool_bus),
		       NTB_SIM_POISON, mw->size);
		atomic64_inc(&owner->poisoned);
	}

	return 0;
}

static int ntb_sim_mw_set_trans(struct ntb_dev *ntb, int pidx, int widx,
				dma_addr_t addr, resource_size_t size)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_translate(side, side, pidx, widx, addr, size);
}

static int ntb_sim_mw_clear_trans(struct ntb_dev *ntb, int pidx, int widx)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_translate(side, side, pidx, widx, 0, 0);
}

/*
 * IDT: a side translates its outbound window to the buffer the peer
 * allocated, with the address the peer sent it.
 */
static int ntb_sim_peer_mw_set_trans(struct ntb_dev *ntb, int pidx, int widx,
				     u64 addr, resource_size_t size)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_translate(side, side->peer, pidx, widx, addr, size);
}

static int ntb_sim_peer_mw_clear_trans(struct ntb_dev *ntb, int pidx, int widx)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_translate(side, side->peer, pidx, widx, 0, 0);
}

static int ntb_sim_peer_mw_count(struct ntb_dev *ntb)
{
	return mw_count;
}

/*
 * An outbound window maps the peer's inbound window of the same index.
 * The client maps it itself, once, so the sim cannot gate what goes
 * through the mapping: with the link down, or no translation, stores still
 * reach the peer's memory. See "Link down" in ntb_hw_sim.rst.
 */
static int ntb_sim_peer_mw_get_addr(struct ntb_dev *ntb, int widx,
				    phys_addr_t *base, resource_size_t *size)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);
	struct ntb_sim_mw *mw = ntb_sim_get_mw(side->peer, NTB_DEF_PEER_IDX,
					       widx);

	if (!mw)
		return ntb_sim_reject(side, "no peer window %d\n", widx);

	if (base)
		*base = mw->phys;
	if (size)
		*size = mw->size;

	return 0;
}

/* Doorbells */

static int ntb_sim_db_check(struct ntb_sim_side *side, u64 bits)
{
	if (bits & ~ntb_sim_db_valid())
		return ntb_sim_reject(side, "doorbell bits %#llx outside the valid mask %#llx\n",
				      bits, ntb_sim_db_valid());

	return 0;
}

/* Set doorbell bits of @dst; an unmasked bit interrupts it. */
static int ntb_sim_db_ring(struct ntb_sim_side *side, struct ntb_sim_side *dst,
			   u64 bits)
{
	struct ntb_sim_pair *pair = side->pair;
	unsigned long flags;
	int ret;

	ret = ntb_sim_db_check(side, bits);
	if (ret)
		return ret;
	if (dst != side && !ntb_sim_reaches_peer(side, true))
		return 0;

	spin_lock_irqsave(&pair->lock, flags);
	dst->db |= bits;
	if (bits & ~dst->db_mask)
		ntb_sim_raise(dst, NTB_SIM_EV_DB);
	spin_unlock_irqrestore(&pair->lock, flags);

	return 0;
}

static int ntb_sim_db_write(struct ntb_sim_side *side, struct ntb_sim_side *dst,
			    u64 bits, bool mask, bool set)
{
	struct ntb_sim_pair *pair = side->pair;
	unsigned long flags;
	int ret;

	ret = ntb_sim_db_check(side, bits);
	if (ret)
		return ret;
	if (dst != side && !ntb_sim_reaches_peer(side, true))
		return 0;

	spin_lock_irqsave(&pair->lock, flags);
	if (!mask) {
		/* Setting bits goes through ntb_sim_db_ring(). */
		dst->db &= ~bits;
	} else if (set) {
		dst->db_mask |= bits;
	} else {
		dst->db_mask &= ~bits;
		/* Unmasking a pending doorbell interrupts, as in hardware. */
		if (dst->db & bits)
			ntb_sim_raise(dst, NTB_SIM_EV_DB);
	}
	spin_unlock_irqrestore(&pair->lock, flags);

	return 0;
}

static u64 ntb_sim_db_get(struct ntb_sim_side *side, struct ntb_sim_side *src,
			  bool mask)
{
	struct ntb_sim_pair *pair = side->pair;
	unsigned long flags;
	u64 val;

	if (src != side && !ntb_sim_reaches_peer(side, false))
		return U64_MAX;

	spin_lock_irqsave(&pair->lock, flags);
	val = mask ? src->db_mask : src->db;
	spin_unlock_irqrestore(&pair->lock, flags);

	return val;
}

static u64 ntb_sim_db_valid_mask(struct ntb_dev *ntb)
{
	return ntb_sim_db_valid();
}

static u64 ntb_sim_db_read(struct ntb_dev *ntb)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_db_get(side, side, false);
}

static int ntb_sim_db_set(struct ntb_dev *ntb, u64 db_bits)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_db_ring(side, side, db_bits);
}

static int ntb_sim_db_clear(struct ntb_dev *ntb, u64 db_bits)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_db_write(side, side, db_bits, false, false);
}

static u64 ntb_sim_db_read_mask(struct ntb_dev *ntb)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_db_get(side, side, true);
}

static int ntb_sim_db_set_mask(struct ntb_dev *ntb, u64 db_bits)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_db_write(side, side, db_bits, true, true);
}

static int ntb_sim_db_clear_mask(struct ntb_dev *ntb, u64 db_bits)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_db_write(side, side, db_bits, true, false);
}

static u64 ntb_sim_peer_db_read(struct ntb_dev *ntb)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_db_get(side, side->peer, false);
}

static int ntb_sim_peer_db_set(struct ntb_dev *ntb, u64 db_bits)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_db_ring(side, side->peer, db_bits);
}

static int ntb_sim_peer_db_clear(struct ntb_dev *ntb, u64 db_bits)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_db_write(side, side->peer, db_bits, false, false);
}

static u64 ntb_sim_peer_db_read_mask(struct ntb_dev *ntb)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_db_get(side, side->peer, true);
}

static int ntb_sim_peer_db_set_mask(struct ntb_dev *ntb, u64 db_bits)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_db_write(side, side->peer, db_bits, true, true);
}

static int ntb_sim_peer_db_clear_mask(struct ntb_dev *ntb, u64 db_bits)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_db_write(side, side->peer, db_bits, true, false);
}

/*
 * Scratchpads. Like registers, accesses are ordered against the caller's
 * other memory accesses: what was written before a scratchpad write is
 * visible to whoever reads that value.
 */

static int ntb_sim_spad_count(struct ntb_dev *ntb)
{
	return spad_count;
}

static u32 ntb_sim_spad_get(struct ntb_sim_side *side, struct ntb_sim_side *src,
			    int sidx)
{
	u32 val;

	if (sidx < 0 || sidx >= spad_count) {
		ntb_sim_reject(side, "no scratchpad %d\n", sidx);
		return 0;
	}
	if (src != side && !ntb_sim_reaches_peer(side, false))
		return U32_MAX;

	val = READ_ONCE(src->spad[sidx]);
	/* Pairs with smp_mb() in ntb_sim_spad_put(). */
	smp_rmb();

	return val;
}

static int ntb_sim_spad_put(struct ntb_sim_side *side, struct ntb_sim_side *dst,
			    int sidx, u32 val)
{
	if (sidx < 0 || sidx >= spad_count)
		return ntb_sim_reject(side, "no scratchpad %d\n", sidx);
	if (dst != side && !ntb_sim_reaches_peer(side, true))
		return 0;

	/* Order earlier accesses before the write, as writel() does. */
	smp_mb();
	WRITE_ONCE(dst->spad[sidx], val);

	return 0;
}

static u32 ntb_sim_spad_read(struct ntb_dev *ntb, int sidx)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_spad_get(side, side, sidx);
}

static int ntb_sim_spad_write(struct ntb_dev *ntb, int sidx, u32 val)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	return ntb_sim_spad_put(side, side, sidx, val);
}

static u32 ntb_sim_peer_spad_read(struct ntb_dev *ntb, int pidx, int sidx)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	if (pidx != NTB_DEF_PEER_IDX) {
		ntb_sim_reject(side, "no peer %d\n", pidx);
		return 0;
	}

	return ntb_sim_spad_get(side, side->peer, sidx);
}

static int ntb_sim_peer_spad_write(struct ntb_dev *ntb, int pidx, int sidx,
				   u32 val)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);

	if (pidx != NTB_DEF_PEER_IDX)
		return ntb_sim_reject(side, "no peer %d\n", pidx);

	return ntb_sim_spad_put(side, side->peer, sidx, val);
}

/*
 * Message registers, as on IDT switches: a message sets an inbound status
 * bit of the receiver, and cannot be overwritten until that bit is
 * cleared; a message that finds the register full sets an outbound status
 * bit of the sender instead and fails with -EBUSY. With the link down, a
 * message is lost and sets the outbound bit too, which is all IDT's driver
 * can tell its client.
 */

static int ntb_sim_msg_count(struct ntb_dev *ntb)
{
	return msg_count;
}

static u64 ntb_sim_msg_inbits_op(struct ntb_dev *ntb)
{
	return ntb_sim_msg_inbits();
}

static u64 ntb_sim_msg_outbits_op(struct ntb_dev *ntb)
{
	return ntb_sim_msg_outbits();
}

static u64 ntb_sim_msg_read_sts(struct ntb_dev *ntb)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);
	struct ntb_sim_pair *pair = side->pair;
	unsigned long flags;
	u64 sts;

	spin_lock_irqsave(&pair->lock, flags);
	sts = side->msg_sts;
	spin_unlock_irqrestore(&pair->lock, flags);

	return sts;
}

/* Write-one-to-clear: bits that do not exist are ignored, as in hardware. */
static int ntb_sim_msg_clear_sts(struct ntb_dev *ntb, u64 sts_bits)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);
	struct ntb_sim_pair *pair = side->pair;
	unsigned long flags;

	spin_lock_irqsave(&pair->lock, flags);
	side->msg_sts &= ~sts_bits;
	spin_unlock_irqrestore(&pair->lock, flags);

	return 0;
}

static int ntb_sim_msg_mask(struct ntb_dev *ntb, u64 mask_bits, bool set)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);
	struct ntb_sim_pair *pair = side->pair;
	u64 valid = ntb_sim_msg_inbits() | ntb_sim_msg_outbits();
	unsigned long flags;

	if (mask_bits & ~valid)
		return ntb_sim_reject(side, "message bits %#llx outside %#llx\n",
				      mask_bits, valid);

	spin_lock_irqsave(&pair->lock, flags);
	if (set) {
		side->msg_mask |= mask_bits;
	} else {
		side->msg_mask &= ~mask_bits;
		if (side->msg_sts & mask_bits)
			ntb_sim_raise(side, NTB_SIM_EV_MSG);
	}
	spin_unlock_irqrestore(&pair->lock, flags);

	return 0;
}

static int ntb_sim_msg_set_mask(struct ntb_dev *ntb, u64 mask_bits)
{
	return ntb_sim_msg_mask(ntb, mask_bits, true);
}

static int ntb_sim_msg_clear_mask(struct ntb_dev *ntb, u64 mask_bits)
{
	return ntb_sim_msg_mask(ntb, mask_bits, false);
}

static u32 ntb_sim_msg_read(struct ntb_dev *ntb, int *pidx, int midx)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);
	struct ntb_sim_pair *pair = side->pair;
	unsigned long flags;
	u32 msg;

	if (midx < 0 || midx >= msg_count) {
		ntb_sim_reject(side, "no message register %d\n", midx);
		return 0;
	}

	spin_lock_irqsave(&pair->lock, flags);
	msg = side->msg[midx];
	spin_unlock_irqrestore(&pair->lock, flags);

	if (pidx)
		*pidx = NTB_DEF_PEER_IDX;

	return msg;
}

static int ntb_sim_peer_msg_write(struct ntb_dev *ntb, int pidx, int midx,
				  u32 msg)
{
	struct ntb_sim_side *side = to_ntb_sim_side(ntb);
	struct ntb_sim_side *peer = side->peer;
	struct ntb_sim_pair *pair = side->pair;
	unsigned long flags;
	u64 out_bit, in_bit;
	int ret = 0;

	if (pidx != NTB_DEF_PEER_IDX || midx < 0 || midx >= msg_count)
		return ntb_sim_reject(side, "no message register %d of peer %d\n",
				      midx, pidx);

	in_bit = BIT_ULL(midx);
	out_bit = in_bit << NTB_SIM_MSG_OUT_SHIFT;

	spin_lock_irqsave(&pair->lock, flags);
	if (!ntb_sim_reaches_peer(side, true) || peer->msg_sts & in_bit) {
		/* Lost, or refused by a full register. */
		side->msg_sts |= out_bit;
		if (out_bit & ~side->msg_mask)
			ntb_sim_raise(side, NTB_SIM_EV_MSG);
		if (pair->link_up)
			ret = -EBUSY;
	} else {
		peer->msg[midx] = msg;
		peer->msg_sts |= in_bit;
		if (in_bit & ~peer->msg_mask)
			ntb_sim_raise(peer, NTB_SIM_EV_MSG);
	}
	spin_unlock_irqrestore(&pair->lock, flags);

	return ret;
}

/* Link, windows and local doorbells: what every profile has. */
#define NTB_SIM_COMMON_OPS						\
	.link_is_up		= ntb_sim_link_is_up,			\
	.link_enable		= ntb_sim_link_enable,			\
	.link_disable		= ntb_sim_link_disable,			\
	.mw_count		= ntb_sim_mw_count,			\
	.mw_get_align		= ntb_sim_mw_get_align,			\
	.peer_mw_count		= ntb_sim_peer_mw_count,		\
	.peer_mw_get_addr	= ntb_sim_peer_mw_get_addr,		\
	.db_valid_mask		= ntb_sim_db_valid_mask,		\
	.db_read		= ntb_sim_db_read,			\
	.db_clear		= ntb_sim_db_clear,			\
	.db_set_mask		= ntb_sim_db_set_mask,			\
	.db_clear_mask		= ntb_sim_db_clear_mask,		\
	.peer_db_set		= ntb_sim_peer_db_set

#define NTB_SIM_SPAD_OPS						\
	.spad_count		= ntb_sim_spad_count,			\
	.spad_read		= ntb_sim_spad_read,			\
	.spad_write		= ntb_sim_spad_write,			\
	.peer_spad_read		= ntb_sim_peer_spad_read,		\
	.peer_spad_write	= ntb_sim_peer_spad_write

#define NTB_SIM_MSG_OPS							\
	.msg_count		= ntb_sim_msg_count,			\
	.msg_inbits		= ntb_sim_msg_inbits_op,		\
	.msg_outbits		= ntb_sim_msg_outbits_op,		\
	.msg_read_sts		= ntb_sim_msg_read_sts,			\
	.msg_clear_sts		= ntb_sim_msg_clear_sts,		\
	.msg_set_mask		= ntb_sim_msg_set_mask,			\
	.msg_clear_mask		= ntb_sim_msg_clear_mask,		\
	.msg_read		= ntb_sim_msg_read,			\
	.peer_msg_write		= ntb_sim_peer_msg_write

/* Every operation a two-port NTB can have. */
static const struct ntb_dev_ops ntb_sim_full_ops = {
	NTB_SIM_COMMON_OPS,
	NTB_SIM_SPAD_OPS,
	NTB_SIM_MSG_OPS,
	.mw_set_trans		= ntb_sim_mw_set_trans,
	.mw_clear_trans		= ntb_sim_mw_clear_trans,
	.db_set			= ntb_sim_db_set,
	.db_read_mask		= ntb_sim_db_read_mask,
	.peer_db_read		= ntb_sim_peer_db_read,
	.peer_db_clear		= ntb_sim_peer_db_clear,
	.peer_db_read_mask	= ntb_sim_peer_db_read_mask,
	.peer_db_set_mask	= ntb_sim_peer_db_set_mask,
	.peer_db_clear_mask	= ntb_sim_peer_db_clear_mask,
};

/*
 * Intel, AMD and Switchtec NTBs: scratchpads, no message registers, no
 * access to the peer's doorbell register but ringing it, inbound
 * translation cleared by setting it to 0.
 */
static const struct ntb_dev_ops ntb_sim_intel_ops = {
	NTB_SIM_COMMON_OPS,
	NTB_SIM_SPAD_OPS,
	.mw_set_trans		= ntb_sim_mw_set_trans,
};

/*
 * IDT switches: message registers, no scratchpads, and the translation
 * of a window is set by the peer, on its outbound side.
 */
static const struct ntb_dev_ops ntb_sim_idt_ops = {
	NTB_SIM_COMMON_OPS,
	NTB_SIM_MSG_OPS,
	.peer_mw_set_trans	= ntb_sim_peer_mw_set_trans,
	.peer_mw_clear_trans	= ntb_sim_peer_mw_clear_trans,
	.db_read_mask		= ntb_sim_db_read_mask,
};

static const struct ntb_sim_profile ntb_sim_profiles[] = {
	{ .name = "full",	.ops = &ntb_sim_full_ops },
	{ .name = "intel",	.ops = &ntb_sim_intel_ops },
	{ .name = "idt",	.ops = &ntb_sim_idt_ops },
};

static const struct ntb_sim_profile *ntb_sim_find_profile(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ntb_sim_profiles); i++)
		if (sysfs_streq(name, ntb_sim_profiles[i].name))
			return &ntb_sim_profiles[i];

	return NULL;
}

/* debugfs */

static int ntb_sim_info_show(struct seq_file *s, void *unused)
{
	struct ntb_sim_pair *pair = s->private;
	enum ntb_speed speed;
	enum ntb_width width;
	unsigned long flags;
	int i, w;

	seq_printf(s, "profile %s\n", READ_ONCE(pair->profile)->name);
	for (i = 0; i < NTB_SIM_SIDES; i++) {
		struct ntb_sim_side *side = &pair->side[i];

		spin_lock_irqsave(&pair->lock, flags);
		seq_printf(s, "side %d: %s %s port %d\n", i,
			   side->pdev ? pci_name(side->pdev) : "(unbound)",
			   ntb_topo_string(side->ntb.topo),
			   ntb_default_port_number(&side->ntb));
		seq_printf(s, "  link enabled %d, doorbells %#llx mask %#llx valid %#llx\n",
			   side->link_enabled, side->db, side->db_mask,
			   ntb_sim_db_valid());
		seq_printf(s, "  messages status %#llx mask %#llx\n",
			   side->msg_sts, side->msg_mask);
		for (w = 0; w < mw_count; w++) {
			struct ntb_sim_mw *mw = &side->mw[w];

			seq_printf(s, "  mw%d: phys %pa bus %pad size %pa xlat %pad+%pa\n",
				   w, &mw->phys, &mw->bus, &mw->size,
				   &mw->xlat_addr, &mw->xlat_size);
		}
		spin_unlock_irqrestore(&pair->lock, flags);
		seq_puts(s, "  spads");
		for (w = 0; w < spad_count; w++)
			seq_printf(s, " %#x", READ_ONCE(side->spad[w]));
		seq_puts(s, "\n");
		seq_printf(s, "  rejected %d\n", atomic_read(&side->rejected));
		seq_printf(s, "  doorbell interrupts %lld\n",
			   atomic64_read(&side->db_irqs));
		seq_printf(s, "  link down: dropped writes %lld, all-ones reads %lld\n",
			   atomic64_read(&side->dropped),
			   atomic64_read(&side->all_ones));
		seq_printf(s, "  poisoned windows %lld\n",
			   atomic64_read(&side->poisoned));
	}

	if (ntb_sim_link_is_up(&pair->side[NTB_SIM_USD].ntb, &speed, &width))
		seq_printf(s, "link up, gen %d x%d\n", speed, width);
	else
		seq_printf(s, "link down, cable %s\n",
			   pair->cable ? "plugged" : "pulled");

	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ntb_sim_info);

static ssize_t ntb_sim_cable_read(struct file *file, char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct ntb_sim_pair *pair = file->private_data;
	char buf[2] = { READ_ONCE(pair->cable) ? 'Y' : 'N', '\n' };

	return simple_read_from_buffer(ubuf, count, ppos, buf, sizeof(buf));
}

static ssize_t ntb_sim_cable_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct ntb_sim_pair *pair = file->private_data;
	unsigned long flags;
	bool cable;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &cable);
	if (ret)
		return ret;

	spin_lock_irqsave(&pair->lock, flags);
	pair->cable = cable;
	ntb_sim_link_update(pair);
	spin_unlock_irqrestore(&pair->lock, flags);

	return count;
}

static const struct file_operations ntb_sim_cable_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= ntb_sim_cable_read,
	.write	= ntb_sim_cable_write,
	.llseek	= default_llseek,
};

/*
 * Give a pair another operation set: unplug both functions (their
 * clients are removed), and plug them back.
 */
static int ntb_sim_set_profile(struct ntb_sim_pair *pair,
			       const struct ntb_sim_profile *profile)
{
	struct pci_dev *pdev[NTB_SIM_SIDES];
	int i, ret = 0;

	mutex_lock(&ntb_sim_profile_lock);
	for (i = 0; i < NTB_SIM_SIDES; i++)
		pdev[i] = pci_get_slot(ntb_sim->bus, PCI_DEVFN(pair->index, i));
	for (i = 0; i < NTB_SIM_SIDES; i++)
		if (pdev[i])
			device_release_driver(&pdev[i]->dev);

	WRITE_ONCE(pair->profile, profile);

	for (i = 0; i < NTB_SIM_SIDES; i++) {
		if (!pdev[i])
			continue;
		if (device_attach(&pdev[i]->dev) < 0 ||
		    !READ_ONCE(pair->side[i].registered))
			ret = -EIO;
		pci_dev_put(pdev[i]);
	}
	mutex_unlock(&ntb_sim_profile_lock);

	return ret;
}

static int ntb_sim_profile_show(struct seq_file *s, void *unused)
{
	struct ntb_sim_pair *pair = s->private;

	seq_printf(s, "%s\n", READ_ONCE(pair->profile)->name);

	return 0;
}

static int ntb_sim_profile_open(struct inode *inode, struct file *file)
{
	return single_open(file, ntb_sim_profile_show, inode->i_private);
}

static ssize_t ntb_sim_profile_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	struct ntb_sim_pair *pair = file_inode(file)->i_private;
	const struct ntb_sim_profile *profile;
	char buf[16];
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	profile = ntb_sim_find_profile(buf);
	if (!profile) {
		pr_err("pair%u: profile is full, intel or idt\n", pair->index);
		return -EINVAL;
	}

	ret = ntb_sim_set_profile(pair, profile);

	return ret ?: count;
}

static const struct file_operations ntb_sim_profile_fops = {
	.owner		= THIS_MODULE,
	.open		= ntb_sim_profile_open,
	.read		= seq_read,
	.write		= ntb_sim_profile_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static void ntb_sim_debugfs_init(struct ntb_sim *sim)
{
	char name[16];
	unsigned int i;

	sim->dbgfs = debugfs_create_dir(NTB_SIM_NAME, NULL);
	for (i = 0; i < sim->npairs; i++) {
		struct ntb_sim_pair *pair = &sim->pairs[i];

		snprintf(name, sizeof(name), "pair%u", i);
		pair->dbgfs = debugfs_create_dir(name, sim->dbgfs);
		debugfs_create_file("link", 0600, pair->dbgfs, pair,
				    &ntb_sim_cable_fops);
		debugfs_create_file("info", 0400, pair->dbgfs, pair,
				    &ntb_sim_info_fops);
		debugfs_create_file("profile", 0600, pair->dbgfs, pair,
				    &ntb_sim_profile_fops);
	}
}

/* The PCI functions: a header with no BARs and no interrupt */

static struct ntb_sim *ntb_sim_from_bus(struct pci_bus *bus)
{
#ifdef CONFIG_X86
	return container_of(bus->sysdata, struct ntb_sim, sysdata);
#else
	return bus->sysdata;
#endif
}

static struct ntb_sim_side *ntb_sim_find_side(struct ntb_sim *sim,
					      unsigned int devfn)
{
	unsigned int slot = PCI_SLOT(devfn), fn = PCI_FUNC(devfn);

	if (slot >= sim->npairs || fn >= NTB_SIM_SIDES)
		return NULL;

	return &sim->pairs[slot].side[fn];
}

static int ntb_sim_pci_read(struct pci_bus *bus, unsigned int devfn, int where,
			    int size, u32 *val)
{
	struct ntb_sim *sim = ntb_sim_from_bus(bus);
	u32 hdr[PCI_STD_HEADER_SIZEOF / sizeof(u32)] = {};

	if (!ntb_sim_find_side(sim, devfn)) {
		PCI_SET_ERROR_RESPONSE(val);
		return PCIBIOS_DEVICE_NOT_FOUND;
	}

	hdr[PCI_VENDOR_ID / 4] = NTB_SIM_DEVICE_ID << 16 | NTB_SIM_VENDOR_ID;
	hdr[PCI_CLASS_REVISION / 4] = PCI_CLASS_BRIDGE_OTHER << 16;
	/* Function 0 is multi-function, so that function 1 is scanned. */
	if (!PCI_FUNC(devfn))
		hdr[PCI_HEADER_TYPE / 4] = PCI_HEADER_TYPE_MFD << 16;

	if (where + size > sizeof(hdr)) {
		*val = 0;
		return PCIBIOS_SUCCESSFUL;
	}

	*val = (hdr[where / 4] >> (8 * (where & 3))) &
	       GENMASK(8 * size - 1, 0);

	return PCIBIOS_SUCCESSFUL;
}

static int ntb_sim_pci_write(struct pci_bus *bus, unsigned int devfn, int where,
			     int size, u32 val)
{
	if (!ntb_sim_find_side(ntb_sim_from_bus(bus), devfn))
		return PCIBIOS_DEVICE_NOT_FOUND;

	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops ntb_sim_pci_ops = {
	.read	= ntb_sim_pci_read,
	.write	= ntb_sim_pci_write,
};

static int ntb_sim_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ntb_sim_side *side;
	struct ntb_sim_pair *pair;
	struct ntb_sim *sim;
	resource_size_t pool_size;
	unsigned long flags;
	int ret;

	if (pdev->bus->ops != &ntb_sim_pci_ops)
		return -ENODEV;

	sim = ntb_sim_from_bus(pdev->bus);
	side = ntb_sim_find_side(sim, pdev->devfn);
	if (!side)
		return -ENODEV;
	pair = side->pair;

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;

	pool_size = mw_size << mw_count;
	ret = dma_declare_coherent_memory(&pdev->dev, side->pool_phys,
					  side->pool_bus, pool_size);
	if (ret) {
		pci_err(pdev, "cannot declare %pa+%pa as DMA pool: %d\n",
			&side->pool_phys, &pool_size, ret);
		return ret;
	}

	/* The first allocation from an empty pool is its first page. */
	side->guard = dma_alloc_coherent(&pdev->dev, PAGE_SIZE,
					 &side->guard_dma, GFP_KERNEL);
	if (!side->guard) {
		ret = -ENOMEM;
		goto err_release_pool;
	}
	if (side->guard_dma != side->pool_bus) {
		pci_err(pdev, "guard page at %pad, not at the pool's start\n",
			&side->guard_dma);
		ret = -EIO;
		goto err_free_guard;
	}

	spin_lock_irqsave(&pair->lock, flags);
	side->pdev = pdev;
	side->link_enabled = false;
	side->db = 0;
	side->db_mask = ntb_sim_db_valid();
	side->msg_sts = 0;
	side->msg_mask = ntb_sim_msg_inbits() | ntb_sim_msg_outbits();
	memset(side->msg, 0, sizeof(side->msg));
	spin_unlock_irqrestore(&pair->lock, flags);
	memset(side->spad, 0, sizeof(side->spad));

	/* The device may have been registered before: start afresh. */
	memset(&side->ntb, 0, sizeof(side->ntb));
	side->ntb.pdev = pdev;
	side->ntb.topo = PCI_FUNC(pdev->devfn) == NTB_SIM_USD ?
			 NTB_TOPO_B2B_USD : NTB_TOPO_B2B_DSD;
	side->ntb.ops = READ_ONCE(pair->profile)->ops;
	pci_set_drvdata(pdev, side);

	ret = ntb_register_device(&side->ntb);
	if (ret)
		goto err_clear;

	spin_lock_irqsave(&pair->lock, flags);
	side->registered = true;
	spin_unlock_irqrestore(&pair->lock, flags);

	pci_info(pdev, "pair %u %s, %u windows from %pa (bus %pad)\n",
		 pair->index, ntb_topo_string(side->ntb.topo), mw_count,
		 &side->pool_phys, &side->pool_bus);

	return 0;

err_clear:
	pci_set_drvdata(pdev, NULL);
	side->pdev = NULL;
err_free_guard:
	dma_free_coherent(&pdev->dev, PAGE_SIZE, side->guard, side->guard_dma);
	side->guard = NULL;
err_release_pool:
	dma_release_coherent_memory(&pdev->dev);
	return ret;
}

static void ntb_sim_remove(struct pci_dev *pdev)
{
	struct ntb_sim_side *side = pci_get_drvdata(pdev);
	struct ntb_sim_pair *pair = side->pair;
	unsigned long flags;
	int w;

	/* Clients are removed, and free their windows' buffers. */
	ntb_unregister_device(&side->ntb);

	spin_lock_irqsave(&pair->lock, flags);
	side->registered = false;
	side->link_enabled = false;
	ntb_sim_link_update(pair);
	for (w = 0; w < mw_count; w++) {
		side->mw[w].xlat_addr = 0;
		side->mw[w].xlat_size = 0;
	}
	side->pdev = NULL;
	spin_unlock_irqrestore(&pair->lock, flags);
	irq_work_sync(&side->irq_work);

	pci_set_drvdata(pdev, NULL);
	dma_free_coherent(&pdev->dev, PAGE_SIZE, side->guard, side->guard_dma);
	side->guard = NULL;
	dma_release_coherent_memory(&pdev->dev);
}

static const struct pci_device_id ntb_sim_pci_tbl[] = {
	{ PCI_DEVICE(NTB_SIM_VENDOR_ID, NTB_SIM_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, ntb_sim_pci_tbl);

static struct pci_driver ntb_sim_pci_driver = {
	.name		= NTB_SIM_NAME,
	.id_table	= ntb_sim_pci_tbl,
	.probe		= ntb_sim_probe,
	.remove		= ntb_sim_remove,
};

/* Setup */

/*
 * The layout of a side's pool, with S = mw_size and N = mw_count:
 *
 *   [0, S)            guard page at 0, then room for other allocations
 *   [S << k, S << (k + 1))  window k, for k = 0 .. N - 1
 *
 * The pool's allocator hands out naturally aligned blocks, first fit. A
 * buffer of window k's size, S << k, cannot start at 0 (the guard page is
 * there), and every aligned block below S << k overlaps [0, S), so it goes
 * to window k when window k is free, whatever else is allocated. A client
 * gets the window it asks for, in any order, as long as it holds one
 * buffer per window.
 */
static void ntb_sim_init_pair(struct ntb_sim *sim, struct ntb_sim_pair *pair,
			      unsigned int index, phys_addr_t base)
{
	resource_size_t pool_size = mw_size << mw_count;
	int i, w;

	pair->index = index;
	spin_lock_init(&pair->lock);
	pair->cable = true;
	pair->profile = ntb_sim_boot_profile;

	for (i = 0; i < NTB_SIM_SIDES; i++) {
		struct ntb_sim_side *side = &pair->side[i];
		unsigned int n = index * NTB_SIM_SIDES + i;

		side->pair = pair;
		side->peer = &pair->side[!i];
		side->pool_phys = base + n * pool_size;
		side->pool_virt = sim->virt + n * pool_size;
		side->pool_bus = NTB_SIM_BUS_BASE + n * NTB_SIM_BUS_STRIDE;
		init_irq_work(&side->irq_work, ntb_sim_irq_work);
		atomic_set(&side->rejected, 0);
		atomic64_set(&side->db_irqs, 0);
		atomic64_set(&side->dropped, 0);
		atomic64_set(&side->all_ones, 0);
		atomic64_set(&side->poisoned, 0);

		for (w = 0; w < mw_count; w++) {
			resource_size_t off = mw_size << w;

			side->mw[w].phys = side->pool_phys + off;
			side->mw[w].bus = side->pool_bus + off;
			side->mw[w].size = mw_size << w;
		}
	}
}

static int ntb_sim_parse_mem(phys_addr_t *base, resource_size_t *size)
{
	char *p = mem;

	*size = memparse(p, &p);
	if (*p != '@')
		return -EINVAL;
	*base = memparse(p + 1, &p);
	if (*p && *p != '\n')
		return -EINVAL;

	return 0;
}

static int ntb_sim_check_params(void)
{
	ntb_sim_boot_profile = profile ? ntb_sim_find_profile(profile) :
					 &ntb_sim_profiles[0];
	if (!ntb_sim_boot_profile) {
		pr_err("profile=%s: full, intel or idt\n", profile);
		return -EINVAL;
	}

	if (!pairs || pairs > NTB_SIM_MAX_PAIRS ||
	    !mw_count || mw_count > NTB_SIM_MAX_MW ||
	    spad_count > NTB_SIM_MAX_SPAD ||
	    !db_count || db_count > NTB_SIM_MAX_DB ||
	    msg_count > NTB_SIM_MAX_MSG) {
		pr_err("invalid pairs, mw_count, spad_count, db_count or msg_count\n");
		return -EINVAL;
	}

	if (mw_size < PAGE_SIZE || !is_power_of_2(mw_size) ||
	    mw_size > NTB_SIM_BUS_STRIDE >> mw_count) {
		pr_err("mw_size %llu is not a power of two in [%lu, %llu]\n",
		       mw_size, PAGE_SIZE, NTB_SIM_BUS_STRIDE >> mw_count);
		return -EINVAL;
	}

	return 0;
}

static int ntb_sim_add_bus(struct ntb_sim *sim)
{
	struct pci_host_bridge *bridge;
	struct pci_dev *pdev;
	void *sysdata = sim;
	int ret;

#ifdef CONFIG_X86
	struct pci_bus *bus = NULL;

	/* A domain of its own, above those of ACPI (as VMD does). */
	sim->sysdata.domain = 0xffff;
	while ((bus = pci_find_next_bus(bus)))
		sim->sysdata.domain = max(sim->sysdata.domain,
					  pci_domain_nr(bus));
	sim->sysdata.domain++;
	sim->sysdata.node = NUMA_NO_NODE;
	sysdata = &sim->sysdata;
#else
	/* Without ACPI, the PCI core allocates a domain. */
	if (!acpi_disabled) {
		pr_err("needs a system booted with device tree\n");
		return -ENODEV;
	}
#endif

	bridge = pci_alloc_host_bridge(0);
	if (!bridge)
		return -ENOMEM;

	sim->busn = DEFINE_RES_NAMED(0, 1, NTB_SIM_NAME, IORESOURCE_BUS);
	pci_add_resource(&bridge->windows, &sim->busn);
	bridge->dev.parent = sim->root;
	bridge->sysdata = sysdata;
	bridge->ops = &ntb_sim_pci_ops;

	pci_lock_rescan_remove();
	ret = pci_scan_root_bus_bridge(bridge);
	if (ret) {
		pci_unlock_rescan_remove();
		pci_free_host_bridge(bridge);
		return ret;
	}
	sim->bus = bridge->bus;

	/* Only this driver may bind the functions. */
	list_for_each_entry(pdev, &sim->bus->devices, bus_list) {
		ret = device_set_driver_override(&pdev->dev, NTB_SIM_NAME);
		if (ret)
			break;
	}
	if (ret) {
		pci_stop_root_bus(sim->bus);
		pci_remove_root_bus(sim->bus);
		pci_unlock_rescan_remove();
		return ret;
	}

	pci_bus_add_devices(sim->bus);
	pci_unlock_rescan_remove();

	return 0;
}

static void ntb_sim_remove_bus(struct ntb_sim *sim)
{
	pci_lock_rescan_remove();
	pci_stop_root_bus(sim->bus);
	pci_remove_root_bus(sim->bus);
	pci_unlock_rescan_remove();
}

static int __init ntb_sim_init(void)
{
	resource_size_t size, need;
	struct ntb_sim *sim;
	phys_addr_t base;
	unsigned int i;
	int ret;

	if (!mem || !*mem)
		return 0;

	ret = ntb_sim_check_params();
	if (ret)
		return ret;

	if (ntb_sim_parse_mem(&base, &size)) {
		pr_err("mem=%s is not SIZE@BASE\n", mem);
		return -EINVAL;
	}

	need = (resource_size_t)pairs * NTB_SIM_SIDES * (mw_size << mw_count);
	if (!PAGE_ALIGNED(base) || size < need) {
		pr_err("mem=%s: need %pa bytes at a page-aligned base\n",
		       mem, &need);
		return -EINVAL;
	}

	/* Clients must be able to ioremap() the windows. */
	if (region_intersects(base, need, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("%pa+%pa is System RAM: reserve it (memmap=, no-map)\n",
		       &base, &need);
		return -EINVAL;
	}

	sim = kzalloc(struct_size(sim, pairs, pairs), GFP_KERNEL);
	if (!sim)
		return -ENOMEM;
	sim->npairs = pairs;

	sim->region = request_mem_region(base, need, NTB_SIM_NAME);
	if (!sim->region) {
		pr_err("%pa+%pa is busy\n", &base, &need);
		ret = -EBUSY;
		goto err_free;
	}

	/* Write-combining, as the DMA pool maps it. */
	sim->virt = memremap(base, need, MEMREMAP_WC);
	if (!sim->virt) {
		ret = -ENOMEM;
		goto err_release;
	}

	for (i = 0; i < sim->npairs; i++)
		ntb_sim_init_pair(sim, &sim->pairs[i], i, base);

	sim->root = root_device_register(NTB_SIM_NAME);
	if (IS_ERR(sim->root)) {
		ret = PTR_ERR(sim->root);
		goto err_unmap;
	}

	ret = pci_register_driver(&ntb_sim_pci_driver);
	if (ret)
		goto err_root;

	ret = ntb_sim_add_bus(sim);
	if (ret)
		goto err_driver;

	ntb_sim_debugfs_init(sim);
	ntb_sim = sim;

	return 0;

err_driver:
	pci_unregister_driver(&ntb_sim_pci_driver);
err_root:
	root_device_unregister(sim->root);
err_unmap:
	memunmap(sim->virt);
err_release:
	release_mem_region(base, need);
err_free:
	kfree(sim);
	return ret;
}
module_init(ntb_sim_init);

static void __exit ntb_sim_exit(void)
{
	struct ntb_sim *sim = ntb_sim;

	if (!sim)
		return;

	debugfs_remove_recursive(sim->dbgfs);
	ntb_sim_remove_bus(sim);
	pci_unregister_driver(&ntb_sim_pci_driver);
	root_device_unregister(sim->root);
	memunmap(sim->virt);
	release_mem_region(sim->region->start, resource_size(sim->region));
	kfree(sim);
}
module_exit(ntb_sim_exit);

MODULE_DESCRIPTION("Software NTB device pairs for testing NTB clients");
MODULE_LICENSE("GPL");

#ifdef CONFIG_NTB_SIM_KUNIT_TEST
#include "ntb_hw_sim_test.c"
#endif
