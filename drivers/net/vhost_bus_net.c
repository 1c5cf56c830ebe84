// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost_bus_net: the device side of virtio-net, as a network device.
 *
 * A client of the vhost bus. The frontend host runs the stock virtio-net
 * driver on a transport (virtio-ntb, a PCI endpoint); this host implements
 * the device, walking the frontend's rings with vringh_*_mmio(), and shows
 * it as an Ethernet device: what the frontend transmits is received here,
 * and what is transmitted here lands in the frontend's receive queues. The
 * two hosts see a point-to-point Ethernet link.
 *
 * Each packet moves with one transfer (vhost_xfer_submit()), whose segments
 * pair the chain's buffers with the skb's. A transport may complete it at
 * once or later; a direction of a queue pair waits for its transfer before
 * it takes the next chain, so that chains complete in order.
 *
 * Where the transport's data path is atomic, each queue pair runs in
 * softirq context, under a spinlock per direction: a kick of the frontend's
 * transmit queue schedules the pair's NAPI context, which takes the chains,
 * builds skbs and hands them to GRO; ndo_start_xmit writes a packet straight
 * into the frontend's receive queue, and when the frontend has no buffer
 * for it, keeps it and stops the queue until the frontend kicks that
 * receive queue. Elsewhere, each direction of each queue pair is a work
 * item with a backlog of packets, since the transport may sleep. The
 * control queue is always a work item.
 */

#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <linux/vhost_bus.h>
#include <linux/virtio_net.h>
#include <linux/workqueue.h>
#include <uapi/linux/virtio_ids.h>
#include <uapi/linux/virtio_net.h>
#include <uapi/linux/virtio_ring.h>

/* Queue pairs the device offers (VIRTIO_NET_F_MQ). */
#define VBNET_MAX_PAIRS		4
/* Buffers taken from a ring in one run of a work item. */
#define VBNET_BATCH		64
/*
 * Without an atomic data path: packets queued for the stack before a
 * transmit queue of the frontend is left alone, and packets queued for the
 * frontend before one of our transmit queues stops.
 */
#define VBNET_BACKLOG		256
/* Segments of a descriptor chain that need no allocation. */
#define VBNET_IOV		(MAX_SKB_FRAGS + 4)
/*
 * A received packet up to VBNET_MAX_LINEAR bytes is linear; a larger one
 * has VBNET_LINEAR bytes there, the rest in pages, and more of the headers
 * pulled in when its header says they are longer.
 */
#define VBNET_LINEAR		256
#define VBNET_MAX_LINEAR	SKB_MAX_HEAD(NET_SKB_PAD + NET_IP_ALIGN)
/* The largest packet the frontend may send: a GSO frame. */
#define VBNET_MAX_FRAME		(64 * 1024 + ETH_HLEN + VLAN_HLEN)
#define VBNET_HDR_LEN		sizeof(struct virtio_net_hdr_mrg_rxbuf)
/* The MTU the device offers (VIRTIO_NET_F_MTU), as virtio-net's MAX_MTU. */
#define VBNET_MAX_MTU		65535
/*
 * Receive chains one packet may take with VIRTIO_NET_F_MRG_RXBUF: a 64 KiB
 * GSO frame in buffers of 1 KiB or more. A frontend that gives smaller
 * buffers gets its large packets dropped.
 */
#define VBNET_RX_CHAINS		(VBNET_MAX_FRAME / SZ_1K + 1)
/*
 * Segments of one packet's transfer: each starts where a piece of the skb
 * (header, head, fragments) or a descriptor starts. A packet whose chains
 * are cut finer than this is refused.
 */
#define VBNET_MAX_SEGS		(VBNET_RX_CHAINS + 2 * VBNET_IOV)

/*
 * The virtqueues, as virtio-net numbers them (virtio 1.2, 5.1.2): receiveq
 * and transmitq of each pair, then the control queue. The control queue
 * follows the last pair offered (see vbnet_ctrlq()); it is here with all
 * of them.
 */
#define VBNET_RXQ(pair)		(2 * (pair))
#define VBNET_TXQ(pair)		(2 * (pair) + 1)
#define VBNET_CTRLQ		(2 * VBNET_MAX_PAIRS)
#define VBNET_NUM_QUEUES	(VBNET_CTRLQ + 1)

#define VBNET_FEATURES	(BIT_ULL(VIRTIO_NET_F_CSUM) |		\
			 BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |	\
			 BIT_ULL(VIRTIO_NET_F_MTU) |		\
			 BIT_ULL(VIRTIO_NET_F_MAC) |		\
			 BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |	\
			 BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) |	\
			 BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |	\
			 BIT_ULL(VIRTIO_NET_F_HOST_TSO6) |	\
			 BIT_ULL(VIRTIO_NET_F_MRG_RXBUF) |	\
			 BIT_ULL(VIRTIO_NET_F_STATUS) |		\
			 BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |	\
			 BIT_ULL(VIRTIO_NET_F_MQ) |		\
			 BIT_ULL(VIRTIO_RING_F_EVENT_IDX))

static bool workqueue_data_path;
module_param(workqueue_data_path, bool, 0444);
MODULE_PARM_DESC(workqueue_data_path,
		 "Run the data path from work items even where the transport allows softirq context (default: no)");

/**
 * struct vbnet_count - counters of one direction of a queue pair
 * @packets: packets moved.
 * @bytes: their bytes, without the virtio-net header.
 * @copies: copies through the transport: the segments of the transfers.
 * @chains: descriptor chains taken from the ring. Each costs the device
 *	reads of the frontend's ring: the driver ring index and entry, and
 *	the descriptors.
 * @notifications: interrupts sent to the frontend.
 * @errors: malformed or oversized buffers.
 * @drops: packets dropped for want of buffers or memory.
 *
 * What one run of the data path adds up, before it publishes it.
 */
struct vbnet_count {
	u64 packets;
	u64 bytes;
	u64 copies;
	u64 chains;
	u64 notifications;
	u64 errors;
	u64 drops;
};

/**
 * struct vbnet_stats - the published counters of one direction
 * @c: the counters.
 * @syncp: for 64-bit counters on 32-bit hosts.
 *
 * Written by one context at a time: the direction's work item, or the
 * holder of the direction's lock.
 */
struct vbnet_stats {
	struct vbnet_count c;
	struct u64_stats_sync syncp;
};

struct vbnet;
struct vbnet_pair;

/**
 * struct vbnet_xfer - the transfer of one packet
 * @xfer: what vhost_xfer_submit() is given.
 * @segs: its segments.
 * @pair: the queue pair.
 * @skb: the packet, while the transfer is prepared or in flight.
 * @hdr: the virtio-net header, the first segment.
 * @head: the chain of a packet from the frontend.
 * @chains: the chains a packet for the frontend took, in &vbnet_pair.used.
 * @max: the most chains it may take.
 * @len: the bytes it writes into the last of them.
 * @err: the outcome, once the transfer is over.
 * @busy: the transport took the transfer and may not have completed it.
 * @done: the transport completed it: @err is valid. Read with
 *	smp_load_acquire().
 */
struct vbnet_xfer {
	struct vhost_bus_xfer xfer;
	struct vhost_bus_xfer_seg segs[VBNET_MAX_SEGS];
	struct vbnet_pair *pair;
	struct sk_buff *skb;
	struct virtio_net_hdr_mrg_rxbuf hdr;
	u16 head;
	unsigned int chains;
	unsigned int max;
	u32 len;
	int err;
	bool busy;
	bool done;
};

/**
 * struct vbnet_pair - one queue pair
 * @vbnet: the device.
 * @index: the pair's number.
 * @rxvq: the frontend's receive queue, which we fill.
 * @txvq: the frontend's transmit queue, which we drain.
 * @napi: hands packets from @txvq to the stack; with an atomic data path,
 *	takes them from @txvq too, and finishes what @rxvq waits for.
 * @tx_lock: with an atomic data path, held while @txvq's ring is used;
 *	protects @tx_running and @tx.
 * @tx_running: the frontend drives the device: @txvq may be used.
 * @tx: the transfer of a packet from @txvq.
 * @riov: the readable segments of a chain of @txvq.
 * @rvec: the first segments of @riov.
 * @tx_used: chains of @txvq done with, published once per batch.
 * @tx_nused: the entries in @tx_used.
 * @rx_lock: with an atomic data path, held while @rxvq's ring is used;
 *	protects @rx_running, @rx and @stash.
 * @rx_running: the frontend drives the device: @rxvq may be used.
 * @rx: the transfer of a packet into @rxvq.
 * @stash: with an atomic data path, the packet that found no buffer in
 *	@rxvq; the transmit queue is stopped while it waits.
 * @wiov: the writable segments of a chain of @rxvq.
 * @wvec: the first segments of @wiov.
 * @used: the receive chains a packet for the frontend took.
 * @rx_work: without an atomic data path, moves packets of @txq into @rxvq.
 * @tx_work: without an atomic data path, takes packets of @txvq into @rxq.
 * @txq: packets we transmit, waiting for @rx_work.
 * @rxq: packets the frontend transmitted, waiting for NAPI.
 * @to_frontend: counters of what went into @rxvq.
 * @from_frontend: counters of what came from @txvq.
 * @rx_kicks: notifications of @rxvq.
 * @tx_kicks: notifications of @txvq.
 * @xmit_drops: packets ndo_start_xmit dropped with the frontend not there.
 *
 * Without an atomic data path, the work items are the only users of the
 * rings, and the locks only order @tx_running and @rx_running with a reset.
 */
struct vbnet_pair {
	struct vbnet *vbnet;
	unsigned int index;
	struct vhost_bus_vq *rxvq;
	struct vhost_bus_vq *txvq;
	struct napi_struct napi;

	spinlock_t tx_lock;		/* @txvq, @tx_running, @tx */
	bool tx_running;
	struct vbnet_xfer tx;
	struct vringh_mmiov riov;
	struct vringh_mmiovec rvec[VBNET_IOV];
	struct vring_used_elem tx_used[VBNET_BATCH];
	unsigned int tx_nused;

	spinlock_t rx_lock;		/* @rxvq, @rx_running, @rx, @stash */
	bool rx_running;
	struct vbnet_xfer rx;
	struct sk_buff *stash;
	struct vringh_mmiov wiov;
	struct vringh_mmiovec wvec[VBNET_IOV];
	struct vring_used_elem used[VBNET_RX_CHAINS];

	struct work_struct rx_work;
	struct work_struct tx_work;
	struct sk_buff_head txq;
	struct sk_buff_head rxq;

	struct vbnet_stats to_frontend;
	struct vbnet_stats from_frontend;
	atomic64_t rx_kicks;
	atomic64_t tx_kicks;
	atomic64_t xmit_drops;
};

/**
 * struct vbnet - one virtio-net device
 * @ndev: our network device.
 * @vdev: the vhost bus device.
 * @vqs: the virtqueues, by virtio-net's numbering.
 * @atomic: the data path runs in softirq context (NAPI, ndo_start_xmit):
 *	the transport allows it, and workqueue_data_path is not set.
 * @running: the frontend set DRIVER_OK and did not reset since; read by
 *	the control queue's work item, which a reset waits for.
 * @broken: a ring was found broken; the device waits for a reset.
 * @curr_pairs: the queue pairs the frontend uses (VIRTIO_NET_CTRL_MQ).
 * @max_pairs: the most queue pairs offered to the frontend.
 * @mtu: the MTU offered to the frontend.
 * @mac: the frontend's MAC address. These three are the configuration
 *	space; configfs changes them under device_lock(), until the frontend
 *	negotiated.
 * @ctrl_work: answers the control queue.
 * @ctrl_riov: the readable segments of a control request.
 * @ctrl_wiov: the writable segments of a control request.
 * @ctrl_rvec: the first segments of @ctrl_riov.
 * @ctrl_wvec: the first segments of @ctrl_wiov.
 * @pairs: the queue pairs.
 */
struct vbnet {
	struct net_device *ndev;
	struct vhost_bus_device *vdev;
	struct vhost_bus_vq *vqs[VBNET_NUM_QUEUES];
	bool atomic;
	bool running;
	bool broken;
	unsigned int curr_pairs;
	unsigned int max_pairs;
	u16 mtu;
	u8 mac[ETH_ALEN];
	struct work_struct ctrl_work;
	struct vringh_mmiov ctrl_riov;
	struct vringh_mmiov ctrl_wiov;
	struct vringh_mmiovec ctrl_rvec[4];
	struct vringh_mmiovec ctrl_wvec[4];
	struct vbnet_pair pairs[VBNET_MAX_PAIRS];
};

/*
 * Runs the work items of every device. Unbound, so that a direction's work
 * runs beside the task that feeds it rather than after it on its CPU; high
 * priority, as it is the device's data path.
 */
static struct workqueue_struct *vbnet_wq;

/* The vhost bus requires VIRTIO_F_VERSION_1: fields are little endian. */
static __virtio16 vbnet_cpu_to_virtio16(u16 val)
{
	return (__force __virtio16)cpu_to_le16(val);
}

static void vbnet_stats_add(struct vbnet_stats *s, const struct vbnet_count *c)
{
	u64_stats_update_begin(&s->syncp);
	s->c.packets += c->packets;
	s->c.bytes += c->bytes;
	s->c.copies += c->copies;
	s->c.chains += c->chains;
	s->c.notifications += c->notifications;
	s->c.errors += c->errors;
	s->c.drops += c->drops;
	u64_stats_update_end(&s->syncp);
}

/* --- moving bytes --------------------------------------------------------- */

/*
 * Step over the next piece of the chain behind @iov, at most @len bytes,
 * from where @iov stands: returns its length, 0 at the end of the chain,
 * and its frontend bus address in @addr.
 */
static size_t vbnet_iov_next(struct vringh_mmiov *iov, size_t len, u64 *addr)
{
	while (iov->i < iov->used) {
		struct vringh_mmiovec *v = &iov->iov[iov->i];
		size_t n = min(len, v->len - iov->consumed);

		*addr = v->addr + iov->consumed;
		iov->consumed += n;
		if (iov->consumed == v->len) {
			iov->consumed = 0;
			iov->i++;
		}
		if (n)
			return n;
	}
	return 0;
}

/*
 * Copy up to @len bytes between @buf and the chain behind @iov, from where
 * @iov stands, one transport copy per segment, counted in @copies. Returns
 * the bytes copied, fewer than @len only when the chain ends, or -errno.
 * For the control queue, in process context.
 */
static ssize_t vbnet_copy(struct vhost_bus_device *vdev,
			  struct vringh_mmiov *iov, void *buf, size_t len,
			  bool to_frontend, int *copies)
{
	size_t done = 0, n;
	u64 addr;
	int err;

	while (done < len && (n = vbnet_iov_next(iov, len - done, &addr))) {
		if (to_frontend)
			err = vhost_write(vdev, addr, buf + done, n);
		else
			err = vhost_read(vdev, buf + done, addr, n);
		if (err)
			return err;
		(*copies)++;
		done += n;
	}
	return done;
}

/* Copy exactly @len bytes, or fail with -EMSGSIZE if the chain is shorter. */
static int vbnet_copy_all(struct vhost_bus_device *vdev,
			  struct vringh_mmiov *iov, void *buf, size_t len,
			  bool to_frontend, int *copies)
{
	ssize_t n = vbnet_copy(vdev, iov, buf, len, to_frontend, copies);

	if (n < 0)
		return n;
	return n == len ? 0 : -EMSGSIZE;
}

/*
 * Add to @x the segments that move @len bytes of @buf to or from the chain
 * behind @iov, from where @iov stands. Returns the bytes placed, fewer than
 * @len only when the chain ends, or -EMSGSIZE when @x is full.
 */
static ssize_t vbnet_map(struct vbnet_xfer *x, struct vringh_mmiov *iov,
			 void *buf, size_t len)
{
	struct vhost_bus_xfer_seg *seg;
	size_t done = 0, n;
	u64 addr;

	while (done < len) {
		if (x->xfer.nr_segs == VBNET_MAX_SEGS)
			return -EMSGSIZE;
		n = vbnet_iov_next(iov, len - done, &addr);
		if (!n)
			break;
		seg = &x->segs[x->xfer.nr_segs++];
		seg->addr = addr;
		seg->buf = buf + done;
		seg->len = n;
		done += n;
	}
	return done;
}

/* The transport completed a transfer it took: let its direction go on. */
static void vbnet_xfer_done(const struct vhost_bus_xfer *xfer, int err)
{
	struct vbnet_xfer *x = xfer->priv;
	struct vbnet_pair *pair = x->pair;

	x->err = err;
	/* Pairs with vbnet_xfer_pending(): whoever sees @done sees @err. */
	smp_store_release(&x->done, true);
	if (pair->vbnet->atomic) {
		/* NET_RX at once, also from process context. */
		local_bh_disable();
		napi_schedule(&pair->napi);
		local_bh_enable();
	} else {
		queue_work(vbnet_wq,
			   x == &pair->tx ? &pair->tx_work : &pair->rx_work);
	}
}

/*
 * Submit @x. Returns true when the transfer is over (@x->err says how),
 * false when the transport took it: vbnet_xfer_done() follows.
 */
static bool vbnet_submit(struct vbnet *vbnet, struct vbnet_xfer *x)
{
	int ret;

	x->done = false;
	x->busy = true;
	ret = vhost_xfer_submit(vbnet->vdev, &x->xfer);
	if (ret == -EINPROGRESS)
		return false;
	x->busy = false;
	x->err = ret;
	return true;
}

/* Is a transfer the transport took still in flight? */
static bool vbnet_xfer_pending(struct vbnet_xfer *x)
{
	/* Pairs with vbnet_xfer_done(): @err is valid once @done is seen. */
	return x->busy && !smp_load_acquire(&x->done);
}

static void vbnet_init_xfer(struct vbnet_pair *pair, struct vbnet_xfer *x,
			    enum vhost_bus_xfer_dir dir)
{
	x->pair = pair;
	x->xfer.dir = dir;
	x->xfer.segs = x->segs;
	x->xfer.done = vbnet_xfer_done;
	x->xfer.priv = x;
}

/*
 * Take the next chain of @vq. Returns 1 with a chain, 0 if there is none
 * (notifications are then enabled), or -errno; a broken ring marks the
 * device broken until the frontend resets it.
 */
static int vbnet_getdesc(struct vbnet *vbnet, struct vhost_bus_vq *vq,
			 struct vringh_mmiov *riov, struct vringh_mmiov *wiov,
			 u16 *head, gfp_t gfp)
{
	int ret;

	for (;;) {
		ret = vhost_bus_vq_getdesc(vq, riov, wiov, head, gfp);
		if (ret > 0 || ret == -ENOTCONN)
			return ret;
		if (ret < 0) {
			if (*head == vq->vrh.vring.num) {
				/* NEEDS_RESET is set: wait for the reset. */
				WRITE_ONCE(vbnet->broken, true);
				return ret;
			}
			/* Only this chain is bad: return it empty. */
			vringh_complete_mmio(&vq->vrh, *head, 0);
			return ret;
		}
		/* Empty: wait for a kick, unless one is due. */
		if (vringh_notify_enable_mmio(&vq->vrh))
			return 0;
		vringh_notify_disable_mmio(&vq->vrh);
	}
}

static void vbnet_notify(struct vhost_bus_vq *vq, u64 *notes)
{
	/*
	 * A queue the frontend did not enable has no ring, and with nothing
	 * completed since the last time, the frontend's used event need not
	 * be read.
	 */
	if (vhost_bus_vq_ready(vq) && vq->vrh.completed &&
	    vringh_need_notify_mmio(&vq->vrh) > 0) {
		vhost_bus_vq_notify(vq);
		(*notes)++;
	}
}

/* The queue pairs the frontend negotiated: one without VIRTIO_NET_F_MQ. */
static unsigned int vbnet_max_pairs(struct vbnet *vbnet)
{
	return vhost_bus_has_feature(vbnet->vdev, VIRTIO_NET_F_MQ) ?
	       vbnet->max_pairs : 1;
}

/* The queue pairs the frontend uses now (virtio 1.2, 5.1.6.5.5). */
static unsigned int vbnet_pairs(struct vbnet *vbnet)
{
	return min(READ_ONCE(vbnet->curr_pairs), vbnet_max_pairs(vbnet));
}

/* Run a pair's NAPI context, from any context. */
static void vbnet_napi_schedule(struct vbnet_pair *pair)
{
	local_bh_disable();
	napi_schedule(&pair->napi);
	local_bh_enable();
}

/* --- the frontend's transmit queues: packets we receive ------------------- */

/*
 * The linear part of a packet from the frontend: the headers the header
 * names, which virtio_net_hdr_to_skb() wants there (the checksum field
 * included), as tun sizes it; at least VBNET_LINEAR, at most a page.
 */
static size_t vbnet_linear_len(const struct virtio_net_hdr *hdr, size_t len)
{
	size_t linear = le16_to_cpu((__force __le16)hdr->hdr_len);

	if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		linear = max_t(size_t, linear,
			       le16_to_cpu((__force __le16)hdr->csum_start) +
			       le16_to_cpu((__force __le16)hdr->csum_offset) +
			       sizeof(__sum16));
	linear = max_t(size_t, linear, VBNET_LINEAR);
	return min3(linear, len, (size_t)VBNET_MAX_LINEAR);
}

/*
 * Prepare the transfer of a chain the frontend transmitted, @len bytes
 * after the header, into a new skb: the header is read before the skb is
 * built, so the head has a fixed size and the headers the header names are
 * pulled into it afterwards.
 */
static int vbnet_tx_prepare(struct vbnet_pair *pair, size_t len, gfp_t gfp)
{
	struct vbnet_xfer *x = &pair->tx;
	size_t linear = len <= VBNET_MAX_LINEAR ? len : VBNET_LINEAR;
	struct sk_buff *skb;
	ssize_t n;

	x->xfer.nr_segs = 0;
	n = vbnet_map(x, &pair->riov, &x->hdr, VBNET_HDR_LEN);
	if (n < 0)
		return n;

	skb = netdev_alloc_skb_ip_align(pair->vbnet->ndev, linear);
	if (!skb)
		return -ENOMEM;
	x->skb = skb;
	n = vbnet_map(x, &pair->riov, skb_put(skb, linear), linear);
	if (n < 0)
		return n;
	len -= linear;

	while (len) {
		size_t chunk = min_t(size_t, len, PAGE_SIZE);
		struct page *page;

		if (skb_shinfo(skb)->nr_frags >= MAX_SKB_FRAGS)
			return -EMSGSIZE;
		page = alloc_page(gfp);
		if (!page)
			return -ENOMEM;
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, 0, chunk,
				PAGE_SIZE);
		n = vbnet_map(x, &pair->riov, page_address(page), chunk);
		if (n < 0)
			return n;
		len -= chunk;
	}
	return 0;
}

/* Publish the chains of the frontend's transmit queue done with. */
static void vbnet_tx_flush(struct vbnet_pair *pair)
{
	if (pair->tx_nused)
		vringh_complete_multi_mmio(&pair->txvq->vrh, pair->tx_used,
					   pair->tx_nused);
	pair->tx_nused = 0;
}

/* A chain of the transmit queue is done with: publish it with its batch. */
static void vbnet_tx_complete(struct vbnet_pair *pair, u16 head)
{
	struct vringh *vrh = &pair->txvq->vrh;

	pair->tx_used[pair->tx_nused].id = cpu_to_vringh32(vrh, head);
	pair->tx_used[pair->tx_nused].len = 0;
	if (++pair->tx_nused == ARRAY_SIZE(pair->tx_used))
		vbnet_tx_flush(pair);
}

/*
 * The transfer of a chain from the frontend is over: complete the chain
 * and make its packet ready for the stack. Returns the skb, NULL if the
 * packet is dropped, or ERR_PTR(-ENOTCONN) if the device is being reset.
 */
static struct sk_buff *vbnet_tx_finish(struct vbnet_pair *pair,
				       struct vbnet_count *c)
{
	struct vbnet_xfer *x = &pair->tx;
	struct vhost_bus_vq *vq = pair->txvq;
	struct sk_buff *skb = x->skb;
	size_t linear;
	int err = x->err;

	x->skb = NULL;
	x->busy = false;
	if (err == -ENOTCONN) {
		/* Being reset: the chain is the frontend's. */
		vringh_abandon_mmio(&vq->vrh, 1);
		kfree_skb(skb);
		return ERR_PTR(-ENOTCONN);
	}
	vbnet_tx_complete(pair, x->head);
	if (err)
		goto err_free;
	c->copies += x->xfer.nr_segs;

	/* csum_start counts from the Ethernet header: before eth_type_trans(). */
	linear = vbnet_linear_len(&x->hdr.hdr, skb->len);
	if (!pskb_may_pull(skb, linear) ||
	    virtio_net_hdr_to_skb(skb, &x->hdr.hdr, true))
		goto err_free;
	skb->protocol = eth_type_trans(skb, pair->vbnet->ndev);
	skb_record_rx_queue(skb, pair->index);
	c->packets++;
	c->bytes += skb->len;
	return skb;

err_free:
	c->errors++;
	kfree_skb(skb);
	return NULL;
}

/*
 * Take the next chain of the frontend's transmit queue and move its packet.
 * Returns 1 when a chain was handled (*@skbp is its packet, or NULL if it
 * was dropped), 0 if the ring is empty, -EINPROGRESS if the transport took
 * the transfer, or another -errno to stop (a reset, a broken ring).
 */
static int vbnet_tx_one(struct vbnet_pair *pair, gfp_t gfp,
			struct vbnet_count *c, struct sk_buff **skbp)
{
	struct vbnet *vbnet = pair->vbnet;
	struct vhost_bus_vq *vq = pair->txvq;
	struct vbnet_xfer *x = &pair->tx;
	size_t len;
	int ret;

	*skbp = NULL;
	ret = vbnet_getdesc(vbnet, vq, &pair->riov, NULL, &x->head, gfp);
	if (ret <= 0) {
		if (!ret || ret == -ENOTCONN)
			return ret;
		c->errors++;
		return READ_ONCE(vbnet->broken) ? ret : 1;
	}

	c->chains++;
	len = vringh_mmiov_length(&pair->riov);
	if (!netif_running(vbnet->ndev)) {
		c->drops++;
		goto complete;
	}
	if (len < VBNET_HDR_LEN + ETH_HLEN ||
	    len > VBNET_HDR_LEN + VBNET_MAX_FRAME) {
		c->errors++;
		goto complete;
	}

	ret = vbnet_tx_prepare(pair, len - VBNET_HDR_LEN, gfp);
	if (ret) {
		kfree_skb(x->skb);
		x->skb = NULL;
		if (ret == -ENOMEM)
			c->drops++;
		else
			c->errors++;
		goto complete;
	}
	if (!vbnet_submit(vbnet, x))
		return -EINPROGRESS;
	*skbp = vbnet_tx_finish(pair, c);
	if (IS_ERR(*skbp)) {
		ret = PTR_ERR(*skbp);
		*skbp = NULL;
		return ret;
	}
	return 1;

complete:
	vbnet_tx_complete(pair, x->head);
	return 1;
}

/*
 * With an atomic data path, from NAPI: take up to @budget chains, complete
 * them, notify the frontend once, and hand the packets to GRO.
 */
static int vbnet_tx_napi(struct vbnet_pair *pair, int budget)
{
	struct vbnet *vbnet = pair->vbnet;
	struct vbnet_count c = {};
	struct sk_buff_head done;
	struct sk_buff *skb;
	int n = 0, ret;

	__skb_queue_head_init(&done);
	spin_lock(&pair->tx_lock);
	if (!pair->tx_running || READ_ONCE(vbnet->broken) ||
	    pair->index >= vbnet_max_pairs(vbnet))
		goto out_unlock;

	if (pair->tx.busy) {
		if (vbnet_xfer_pending(&pair->tx))
			goto out_unlock;
		skb = vbnet_tx_finish(pair, &c);
		if (IS_ERR(skb))
			goto out_notify;
		n++;
		if (skb)
			__skb_queue_tail(&done, skb);
	}

	while (n < budget) {
		ret = vbnet_tx_one(pair, GFP_ATOMIC, &c, &skb);
		if (ret <= 0)
			break;
		n++;
		if (skb)
			__skb_queue_tail(&done, skb);
	}

out_notify:
	vbnet_tx_flush(pair);
	vbnet_notify(pair->txvq, &c.notifications);
	vbnet_stats_add(&pair->from_frontend, &c);
out_unlock:
	spin_unlock(&pair->tx_lock);

	/* The stack may transmit on this device: not under our lock. */
	while ((skb = __skb_dequeue(&done)))
		napi_gro_receive(&pair->napi, skb);
	return n;
}

/* Without an atomic data path: take a batch into the backlog for NAPI. */
static void vbnet_tx_work(struct work_struct *work)
{
	struct vbnet_pair *pair = container_of(work, struct vbnet_pair,
					       tx_work);
	struct vbnet *vbnet = pair->vbnet;
	struct vbnet_count c = {};
	struct sk_buff *skb;
	int budget = VBNET_BATCH, ret;

	if (!READ_ONCE(pair->tx_running) || READ_ONCE(vbnet->broken) ||
	    pair->index >= vbnet_max_pairs(vbnet))
		return;

	if (pair->tx.busy) {
		if (vbnet_xfer_pending(&pair->tx))
			return;
		skb = vbnet_tx_finish(pair, &c);
		if (IS_ERR(skb))
			goto out_notify;
		if (skb)
			skb_queue_tail(&pair->rxq, skb);
	}

	for (; budget; budget--) {
		if (skb_queue_len(&pair->rxq) >= VBNET_BACKLOG)
			break;	/* NAPI requeues us */
		ret = vbnet_tx_one(pair, GFP_KERNEL, &c, &skb);
		if (ret <= 0)
			break;
		if (skb)
			skb_queue_tail(&pair->rxq, skb);
	}
	if (!budget)
		queue_work(vbnet_wq, &pair->tx_work);

out_notify:
	vbnet_tx_flush(pair);
	vbnet_notify(pair->txvq, &c.notifications);
	/* Run NET_RX now, not at the next interrupt. */
	if (c.packets)
		vbnet_napi_schedule(pair);
	vbnet_stats_add(&pair->from_frontend, &c);
}

/* --- the frontend's receive queues: packets we transmit ------------------- */

/* Take one more receive chain; -EAGAIN if the frontend has none yet. */
static int vbnet_rx_take(struct vbnet_pair *pair, gfp_t gfp)
{
	struct vhost_bus_vq *vq = pair->rxvq;
	struct vbnet_xfer *x = &pair->rx;
	u16 head;
	int ret;

	if (x->chains == x->max)
		return -EMSGSIZE;
	ret = vbnet_getdesc(pair->vbnet, vq, NULL, &pair->wiov, &head, gfp);
	if (ret <= 0)
		return ret ?: -EAGAIN;

	if (x->chains)
		pair->used[x->chains - 1].len = cpu_to_vringh32(&vq->vrh,
								x->len);
	pair->used[x->chains].id = cpu_to_vringh32(&vq->vrh, head);
	x->chains++;
	x->len = 0;
	return 0;
}

/* Place @len bytes of the packet, taking chains as they fill up. */
static int vbnet_rx_map(struct vbnet_pair *pair, void *buf, size_t len,
			gfp_t gfp)
{
	struct vbnet_xfer *x = &pair->rx;
	ssize_t n;
	int err;

	for (;;) {
		n = vbnet_map(x, &pair->wiov, buf, len);
		if (n < 0)
			return n;
		x->len += n;
		buf += n;
		len -= n;
		if (!len)
			return 0;
		err = vbnet_rx_take(pair, gfp);
		if (err)
			return err;
	}
}

/*
 * Prepare the transfer of @skb into the frontend's receive chains: one
 * chain, or with VIRTIO_NET_F_MRG_RXBUF as many as it takes (virtio 1.2,
 * 5.1.6.4), taken as the packet is laid out. num_buffers is known before
 * the transfer starts, so the header goes with the packet.
 */
static int vbnet_rx_prepare(struct vbnet_pair *pair, struct sk_buff *skb,
			    gfp_t gfp)
{
	struct vbnet *vbnet = pair->vbnet;
	struct vbnet_xfer *x = &pair->rx;
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	bool csum = vhost_bus_has_feature(vbnet->vdev,
					  VIRTIO_NET_F_GUEST_CSUM);
	int err, i;

	x->xfer.nr_segs = 0;
	x->chains = 0;
	x->len = 0;
	x->max = 1;
	memset(&x->hdr, 0, sizeof(x->hdr));
	if (virtio_net_hdr_from_skb(skb, &x->hdr.hdr, true, csum, 0))
		return -EINVAL;
	/*
	 * virtio-net refills its ring once half of it is free: a packet
	 * waiting for more than half the ring could wait for ever.
	 */
	if (vhost_bus_has_feature(vbnet->vdev, VIRTIO_NET_F_MRG_RXBUF))
		x->max = min_t(unsigned int, VBNET_RX_CHAINS,
			       pair->rxvq->vrh.vring.num / 2);

	err = vbnet_rx_take(pair, gfp);
	if (err)
		return err;
	err = vbnet_rx_map(pair, &x->hdr, VBNET_HDR_LEN, gfp);
	if (err)
		return err;
	err = vbnet_rx_map(pair, skb->data, skb_headlen(skb), gfp);
	if (err)
		return err;
	/* Fragments are in low memory: see NETIF_F_HIGHDMA in vbnet_probe(). */
	for (i = 0; i < shinfo->nr_frags; i++) {
		skb_frag_t *frag = &shinfo->frags[i];

		err = vbnet_rx_map(pair, skb_frag_address(frag),
				   skb_frag_size(frag), gfp);
		if (err)
			return err;
	}
	x->hdr.num_buffers = vbnet_cpu_to_virtio16(x->chains);
	return 0;
}

/*
 * The transfer of a packet for the frontend is over, or failed before it
 * started: publish the chains it took, or give them back, and let the
 * packet go.
 */
static void vbnet_rx_finish(struct vbnet_pair *pair, struct vbnet_count *c)
{
	struct vbnet_xfer *x = &pair->rx;
	struct vhost_bus_vq *vq = pair->rxvq;
	struct sk_buff *skb = x->skb;
	unsigned int i;

	x->skb = NULL;
	x->busy = false;
	if (!x->err) {
		pair->used[x->chains - 1].len = cpu_to_vringh32(&vq->vrh,
								x->len);
		vringh_complete_multi_mmio(&vq->vrh, pair->used, x->chains);
		c->packets++;
		c->bytes += skb->len;
		c->copies += x->xfer.nr_segs;
		c->chains += x->chains;
		dev_consume_skb_any(skb);
		return;
	}

	if (x->err == -EMSGSIZE || x->err == -ENOTCONN) {
		/*
		 * Not one taken chain was completed: the frontend's again.
		 * Too small buffers drop the packet; a reset drops it too.
		 */
		vringh_abandon_mmio(&vq->vrh, x->chains);
		c->drops++;
	} else {
		/* A broken ring is not touched again. */
		if (!READ_ONCE(pair->vbnet->broken) && x->chains) {
			for (i = 0; i < x->chains; i++)
				pair->used[i].len = 0;
			vringh_complete_multi_mmio(&vq->vrh, pair->used,
						   x->chains);
		}
		c->errors++;
	}
	dev_kfree_skb_any(skb);
}

/*
 * Move @skb into the frontend's receive queue. Returns 1 when the packet
 * is gone (delivered, or dropped and counted), 0 if the frontend has not
 * made enough buffers available yet (none is taken, the caller keeps
 * @skb), or -EINPROGRESS if the transport took the transfer.
 */
static int vbnet_rx_one(struct vbnet_pair *pair, struct sk_buff *skb,
			gfp_t gfp, struct vbnet_count *c)
{
	struct vbnet_xfer *x = &pair->rx;
	int err;

	err = vbnet_rx_prepare(pair, skb, gfp);
	if (err == -EAGAIN) {
		vringh_abandon_mmio(&pair->rxvq->vrh, x->chains);
		return 0;
	}
	x->skb = skb;
	if (!err && !vbnet_submit(pair->vbnet, x))
		return -EINPROGRESS;
	if (err)
		x->err = err;
	vbnet_rx_finish(pair, c);
	return 1;
}

/*
 * With an atomic data path, from NAPI: finish a transfer the transport
 * completed, retry the packet that waited for buffers, and let the
 * transmit queue go again.
 */
static void vbnet_rx_napi(struct vbnet_pair *pair)
{
	struct vbnet *vbnet = pair->vbnet;
	struct netdev_queue *txq = netdev_get_tx_queue(vbnet->ndev,
						       pair->index);
	struct vbnet_count c = {};
	bool wake = false;
	int ret;

	spin_lock(&pair->rx_lock);
	if (!pair->rx_running)
		goto out_unlock;

	if (pair->rx.busy) {
		if (vbnet_xfer_pending(&pair->rx))
			goto out_unlock;
		vbnet_rx_finish(pair, &c);
	}
	if (pair->stash) {
		/* A pair the frontend stopped using gets no packet. */
		if (pair->index >= vbnet_pairs(vbnet) ||
		    READ_ONCE(vbnet->broken)) {
			dev_kfree_skb_any(pair->stash);
			c.drops++;
			ret = 1;
		} else {
			ret = vbnet_rx_one(pair, pair->stash, GFP_ATOMIC, &c);
		}
		if (!ret)
			goto out_notify;
		pair->stash = NULL;
		if (ret == -EINPROGRESS)
			goto out_notify;
	}
	wake = true;

out_notify:
	vbnet_notify(pair->rxvq, &c.notifications);
	vbnet_stats_add(&pair->to_frontend, &c);
out_unlock:
	spin_unlock(&pair->rx_lock);
	if (wake && netif_tx_queue_stopped(txq))
		netif_tx_wake_queue(txq);
}

static int vbnet_poll(struct napi_struct *napi, int budget)
{
	struct vbnet_pair *pair = container_of(napi, struct vbnet_pair, napi);
	struct sk_buff *skb;
	int done = 0;

	if (pair->vbnet->atomic) {
		/* Budget 0 (netpoll) is for transmit completions only. */
		vbnet_rx_napi(pair);
		if (budget)
			done = vbnet_tx_napi(pair, budget);
	} else {
		while (done < budget && (skb = skb_dequeue(&pair->rxq))) {
			napi_gro_receive(napi, skb);
			done++;
		}
		/* The worker paused on a full backlog: let it go on. */
		if (done && skb_queue_len(&pair->rxq) < VBNET_BACKLOG / 2)
			queue_work(vbnet_wq, &pair->tx_work);
	}

	if (done < budget && napi_complete_done(napi, done) &&
	    !pair->vbnet->atomic && !skb_queue_empty(&pair->rxq))
		napi_schedule(napi);
	return done;
}

/* Without an atomic data path: write the backlog, a batch at a time. */
static void vbnet_rx_work(struct work_struct *work)
{
	struct vbnet_pair *pair = container_of(work, struct vbnet_pair,
					       rx_work);
	struct vbnet *vbnet = pair->vbnet;
	struct netdev_queue *txq = netdev_get_tx_queue(vbnet->ndev,
						       pair->index);
	struct vbnet_count c = {};
	int budget = VBNET_BATCH, ret;

	if (!READ_ONCE(pair->rx_running) || READ_ONCE(vbnet->broken))
		return;
	/*
	 * A pair the frontend does not use gets no packet (5.1.6.5.5); without
	 * VIRTIO_NET_F_MQ, the second pair's receive queue is the control
	 * queue.
	 */
	if (pair->index >= vbnet_pairs(vbnet)) {
		c.drops += skb_queue_len(&pair->txq);
		skb_queue_purge(&pair->txq);
		goto out_wake;
	}

	if (pair->rx.busy) {
		if (vbnet_xfer_pending(&pair->rx))
			return;
		vbnet_rx_finish(pair, &c);
	}

	for (; budget; budget--) {
		struct sk_buff *skb = skb_dequeue(&pair->txq);

		if (!skb)
			break;
		ret = vbnet_rx_one(pair, skb, GFP_KERNEL, &c);
		if (!ret) {
			/* No buffer: the frontend kicks when it adds some. */
			skb_queue_head(&pair->txq, skb);
			break;
		}
		if (ret < 0 || READ_ONCE(vbnet->broken))
			break;
	}

	vbnet_notify(pair->rxvq, &c.notifications);
	if (!budget)
		queue_work(vbnet_wq, &pair->rx_work);
out_wake:
	if (netif_tx_queue_stopped(txq) &&
	    skb_queue_len(&pair->txq) < VBNET_BACKLOG / 2) {
		local_bh_disable();
		netif_tx_wake_queue(txq);
		local_bh_enable();
	}
	vbnet_stats_add(&pair->to_frontend, &c);
}

/* --- the control queue ---------------------------------------------------- */

/*
 * The control queue follows the last queue pair the device offers: it is
 * queue 2N, N being max_virtqueue_pairs with VIRTIO_NET_F_MQ and 1 without
 * (virtio 1.2, 5.1.2).
 */
static struct vhost_bus_vq *vbnet_ctrlq(struct vbnet *vbnet)
{
	return vbnet->vqs[VBNET_RXQ(vbnet_max_pairs(vbnet))];
}

static u8 vbnet_ctrl_mq(struct vbnet *vbnet, u8 cmd, size_t len)
{
	unsigned int i;
	int copies = 0;
	__le16 pairs;
	u16 n;

	if (cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || len != sizeof(pairs) ||
	    vbnet_copy_all(vbnet->vdev, &vbnet->ctrl_riov, &pairs,
			   sizeof(pairs), false, &copies))
		return VIRTIO_NET_ERR;

	n = le16_to_cpu(pairs);
	if (n < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || n > vbnet_max_pairs(vbnet))
		return VIRTIO_NET_ERR;
	/* Read by ndo_select_queue; it may see either value for a while. */
	WRITE_ONCE(vbnet->curr_pairs, n);
	netdev_dbg(vbnet->ndev, "the frontend uses %u queue pairs\n", n);
	/* What waits for the pairs it stopped using is dropped there. */
	for (i = n; i < VBNET_MAX_PAIRS; i++) {
		if (vbnet->atomic)
			vbnet_napi_schedule(&vbnet->pairs[i]);
		else
			queue_work(vbnet_wq, &vbnet->pairs[i].rx_work);
	}
	return VIRTIO_NET_OK;
}

static void vbnet_ctrl_work(struct work_struct *work)
{
	struct vbnet *vbnet = container_of(work, struct vbnet, ctrl_work);
	struct vhost_bus_vq *vq = vbnet_ctrlq(vbnet);
	struct virtio_net_ctrl_hdr ctrl;
	u64 notes = 0;
	int budget;

	if (!READ_ONCE(vbnet->running) || READ_ONCE(vbnet->broken))
		return;

	for (budget = VBNET_BATCH; budget; budget--) {
		u8 status = VIRTIO_NET_ERR;
		int copies = 0, ret;
		size_t len;
		u16 head;

		ret = vbnet_getdesc(vbnet, vq, &vbnet->ctrl_riov,
				    &vbnet->ctrl_wiov, &head, GFP_KERNEL);
		if (ret <= 0) {
			if (ret < 0 && !READ_ONCE(vbnet->broken) &&
			    ret != -ENOTCONN)
				continue;
			break;
		}

		len = vringh_mmiov_length(&vbnet->ctrl_riov);
		if (len >= sizeof(ctrl) &&
		    !vbnet_copy_all(vbnet->vdev, &vbnet->ctrl_riov, &ctrl,
				    sizeof(ctrl), false, &copies) &&
		    ctrl.class == VIRTIO_NET_CTRL_MQ)
			status = vbnet_ctrl_mq(vbnet, ctrl.cmd,
					       len - sizeof(ctrl));

		/* The status is the writable part (virtio 1.2, 5.1.6.5). */
		ret = vbnet_copy_all(vbnet->vdev, &vbnet->ctrl_wiov, &status,
				     sizeof(status), true, &copies);
		if (ret == -ENOTCONN) {
			/* Being reset: the request is the frontend's again. */
			vringh_abandon_mmio(&vq->vrh, 1);
			break;
		}
		if (ret)
			vringh_complete_mmio(&vq->vrh, head, 0);
		else
			vringh_complete_mmio(&vq->vrh, head, sizeof(status));
	}
	vbnet_notify(vq, &notes);
	if (!budget)
		queue_work(vbnet_wq, &vbnet->ctrl_work);
}

/* --- kicks ---------------------------------------------------------------- */

/* Interrupts are disabled: only schedule. */
static void vbnet_kick(struct vhost_bus_vq *vq)
{
	struct vbnet *vbnet = vhost_get_drvdata(vq->vdev);
	struct vbnet_pair *pair;

	if (vq == vbnet_ctrlq(vbnet)) {
		queue_work(vbnet_wq, &vbnet->ctrl_work);
		return;
	}

	pair = &vbnet->pairs[vq->index / 2];
	if (vq == pair->rxvq)
		atomic64_inc(&pair->rx_kicks);
	else
		atomic64_inc(&pair->tx_kicks);

	if (vbnet->atomic)
		napi_schedule(&pair->napi);
	else if (vq == pair->rxvq)
		queue_work(vbnet_wq, &pair->rx_work);
	else
		queue_work(vbnet_wq, &pair->tx_work);
}

/* --- network device ------------------------------------------------------- */

static void vbnet_set_link(struct vbnet *vbnet, bool up)
{
	__le16 status = cpu_to_le16(up ? VIRTIO_NET_S_LINK_UP : 0);

	vhost_set_config(vbnet->vdev, offsetof(struct virtio_net_config, status),
			 &status, sizeof(status));
}

/*
 * Forget the transfers of a pair, once none is in flight (see
 * vhost_xfer_flush()) and its contexts are stopped: a packet from the
 * frontend goes back to its ring if @keep_rings (it is taken again later),
 * a packet for the frontend is published if its transfer succeeded, and
 * the one waiting for buffers is dropped.
 */
static void vbnet_pair_drain(struct vbnet_pair *pair, bool keep_rings)
{
	struct vbnet_count c = {};

	spin_lock_bh(&pair->tx_lock);
	if (pair->tx.busy) {
		if (keep_rings && pair->tx_running)
			vringh_abandon_mmio(&pair->txvq->vrh, 1);
		kfree_skb(pair->tx.skb);
		pair->tx.skb = NULL;
		pair->tx.busy = false;
	}
	spin_unlock_bh(&pair->tx_lock);

	spin_lock_bh(&pair->rx_lock);
	if (pair->rx.busy) {
		if (keep_rings && pair->rx_running) {
			vbnet_rx_finish(pair, &c);
			vbnet_notify(pair->rxvq, &c.notifications);
		} else {
			dev_kfree_skb_any(pair->rx.skb);
			pair->rx.skb = NULL;
			pair->rx.busy = false;
			c.drops++;
		}
	}
	if (pair->stash) {
		dev_kfree_skb_any(pair->stash);
		pair->stash = NULL;
		c.drops++;
	}
	vbnet_stats_add(&pair->to_frontend, &c);
	spin_unlock_bh(&pair->rx_lock);
}

static int vbnet_open(struct net_device *ndev)
{
	struct vbnet *vbnet = netdev_priv(ndev);
	unsigned int i;

	for (i = 0; i < VBNET_MAX_PAIRS; i++) {
		napi_enable(&vbnet->pairs[i].napi);
		/* The frontend may have transmitted while we were down. */
		if (vbnet->atomic)
			vbnet_napi_schedule(&vbnet->pairs[i]);
		else
			queue_work(vbnet_wq, &vbnet->pairs[i].tx_work);
	}
	netif_tx_start_all_queues(ndev);
	vbnet_set_link(vbnet, true);
	return 0;
}

static int vbnet_stop(struct net_device *ndev)
{
	struct vbnet *vbnet = netdev_priv(ndev);
	unsigned int i;

	vbnet_set_link(vbnet, false);
	/* No ndo_start_xmit runs once this returns. */
	netif_tx_disable(ndev);
	for (i = 0; i < VBNET_MAX_PAIRS; i++) {
		napi_disable(&vbnet->pairs[i].napi);
		/*
		 * A run that began while we were up may still fill the
		 * backlog; later runs see us down and drop. vbnet_open()
		 * queues the work again.
		 */
		cancel_work_sync(&vbnet->pairs[i].tx_work);
		skb_queue_purge(&vbnet->pairs[i].rxq);
	}
	/* The frontend goes on: settle what is in flight. */
	vhost_xfer_flush(vbnet->vdev);
	for (i = 0; i < VBNET_MAX_PAIRS; i++) {
		cancel_work_sync(&vbnet->pairs[i].tx_work);
		skb_queue_purge(&vbnet->pairs[i].rxq);
		if (vbnet->atomic)
			vbnet_pair_drain(&vbnet->pairs[i], true);
	}
	return 0;
}

static netdev_tx_t vbnet_start_xmit(struct sk_buff *skb,
				    struct net_device *ndev)
{
	struct vbnet *vbnet = netdev_priv(ndev);
	unsigned int q = skb_get_queue_mapping(skb);
	struct netdev_queue *txq = netdev_get_tx_queue(ndev, q);
	struct vbnet_count c = {};
	struct vbnet_pair *pair;
	int ret;

	/*
	 * vbnet_select_queue() picks among the pairs in use, but a packet
	 * queued before the frontend took pairs away keeps its queue.
	 */
	if (unlikely(q >= vbnet_pairs(vbnet))) {
		dev_kfree_skb_any(skb);
		atomic64_inc(&vbnet->pairs[0].xmit_drops);
		return NETDEV_TX_OK;
	}
	pair = &vbnet->pairs[q];

	if (!netif_carrier_ok(ndev))
		goto drop;

	/* It may wait for the frontend's buffers: let go of what it holds. */
	if (skb_orphan_frags_rx(skb, GFP_ATOMIC))
		goto drop;
	skb_orphan(skb);
	nf_reset_ct(skb);

	if (!vbnet->atomic) {
		skb_queue_tail(&pair->txq, skb);
		if (skb_queue_len(&pair->txq) >= VBNET_BACKLOG)
			netif_tx_stop_queue(txq);
		queue_work(vbnet_wq, &pair->rx_work);
		return NETDEV_TX_OK;
	}

	spin_lock(&pair->rx_lock);
	/* The queue stops while a packet waits: none should be here then. */
	if (!pair->rx_running || WARN_ON_ONCE(pair->stash || pair->rx.busy)) {
		spin_unlock(&pair->rx_lock);
		goto drop;
	}
	ret = vbnet_rx_one(pair, skb, GFP_ATOMIC, &c);
	if (ret <= 0) {
		/* Until the frontend kicks, or the transport completes. */
		if (!ret)
			pair->stash = skb;
		netif_tx_stop_queue(txq);
	}
	/* Once per batch of the stack, and before the queue waits. */
	if (!netdev_xmit_more() || netif_xmit_stopped(txq))
		vbnet_notify(pair->rxvq, &c.notifications);
	vbnet_stats_add(&pair->to_frontend, &c);
	spin_unlock(&pair->rx_lock);
	return NETDEV_TX_OK;

drop:
	dev_kfree_skb_any(skb);
	atomic64_inc(&pair->xmit_drops);
	return NETDEV_TX_OK;
}

/* Only the receive queues the frontend enabled (virtio 1.2, 5.1.6.5.5). */
static u16 vbnet_select_queue(struct net_device *ndev, struct sk_buff *skb,
			      struct net_device *sb_dev)
{
	struct vbnet *vbnet = netdev_priv(ndev);

	return netdev_pick_tx(ndev, skb, sb_dev) % vbnet_pairs(vbnet);
}

/* What the frontend did not accept, the stack does in software. */
static netdev_features_t vbnet_features_check(struct sk_buff *skb,
					      struct net_device *ndev,
					      netdev_features_t features)
{
	struct vbnet *vbnet = netdev_priv(ndev);

	if (!vhost_bus_has_feature(vbnet->vdev, VIRTIO_NET_F_GUEST_CSUM))
		features &= ~(NETIF_F_CSUM_MASK | NETIF_F_GSO_MASK);
	if (!vhost_bus_has_feature(vbnet->vdev, VIRTIO_NET_F_GUEST_TSO4))
		features &= ~NETIF_F_TSO;
	if (!vhost_bus_has_feature(vbnet->vdev, VIRTIO_NET_F_GUEST_TSO6))
		features &= ~NETIF_F_TSO6;
	return features;
}

static void vbnet_get_stats64(struct net_device *ndev,
			      struct rtnl_link_stats64 *stats)
{
	struct vbnet *vbnet = netdev_priv(ndev);
	unsigned int i, start;

	for (i = 0; i < VBNET_MAX_PAIRS; i++) {
		const struct vbnet_stats *to = &vbnet->pairs[i].to_frontend;
		const struct vbnet_stats *from = &vbnet->pairs[i].from_frontend;
		u64 tp, tb, te, td, rp, rb, re, rd;

		do {
			start = u64_stats_fetch_begin(&to->syncp);
			tp = to->c.packets;
			tb = to->c.bytes;
			te = to->c.errors;
			td = to->c.drops;
		} while (u64_stats_fetch_retry(&to->syncp, start));
		do {
			start = u64_stats_fetch_begin(&from->syncp);
			rp = from->c.packets;
			rb = from->c.bytes;
			re = from->c.errors;
			rd = from->c.drops;
		} while (u64_stats_fetch_retry(&from->syncp, start));

		stats->tx_packets += tp;
		stats->tx_bytes += tb;
		stats->tx_errors += te;
		stats->tx_dropped += td +
				     atomic64_read(&vbnet->pairs[i].xmit_drops);
		stats->rx_packets += rp;
		stats->rx_bytes += rb;
		stats->rx_errors += re;
		stats->rx_dropped += rd;
	}
}

/* --- ethtool -------------------------------------------------------------- */

static const char vbnet_stat_names[][ETH_GSTRING_LEN] = {
	"to_frontend_packets",
	"to_frontend_bytes",
	"to_frontend_copies",
	"to_frontend_chains",
	"to_frontend_notifications",
	"to_frontend_kicks",
	"to_frontend_errors",
	"to_frontend_drops",
	"from_frontend_packets",
	"from_frontend_bytes",
	"from_frontend_copies",
	"from_frontend_chains",
	"from_frontend_notifications",
	"from_frontend_kicks",
	"from_frontend_errors",
	"from_frontend_drops",
};

#define VBNET_DIR_STATS		(ARRAY_SIZE(vbnet_stat_names) / 2)

/* One direction, in the order of vbnet_stat_names. */
static void vbnet_fill_stats(const struct vbnet_stats *s, u64 kicks,
			     u64 drops, u64 *data)
{
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&s->syncp);
		data[0] = s->c.packets;
		data[1] = s->c.bytes;
		data[2] = s->c.copies;
		data[3] = s->c.chains;
		data[4] = s->c.notifications;
		data[6] = s->c.errors;
		data[7] = s->c.drops + drops;
	} while (u64_stats_fetch_retry(&s->syncp, start));
	data[5] = kicks;
}

static void vbnet_get_ethtool_stats(struct net_device *ndev,
				    struct ethtool_stats *stats, u64 *data)
{
	struct vbnet *vbnet = netdev_priv(ndev);
	unsigned int i;

	for (i = 0; i < VBNET_MAX_PAIRS; i++) {
		struct vbnet_pair *pair = &vbnet->pairs[i];

		vbnet_fill_stats(&pair->to_frontend,
				 atomic64_read(&pair->rx_kicks),
				 atomic64_read(&pair->xmit_drops), data);
		vbnet_fill_stats(&pair->from_frontend,
				 atomic64_read(&pair->tx_kicks), 0,
				 data + VBNET_DIR_STATS);
		data += 2 * VBNET_DIR_STATS;
	}
}

static int vbnet_get_sset_count(struct net_device *ndev, int sset)
{
	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return VBNET_MAX_PAIRS * ARRAY_SIZE(vbnet_stat_names);
}

static void vbnet_get_strings(struct net_device *ndev, u32 sset, u8 *data)
{
	unsigned int i, j;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < VBNET_MAX_PAIRS; i++)
		for (j = 0; j < ARRAY_SIZE(vbnet_stat_names); j++)
			ethtool_sprintf(&data, "q%u_%s", i,
					vbnet_stat_names[j]);
}

static void vbnet_get_drvinfo(struct net_device *ndev,
			      struct ethtool_drvinfo *info)
{
	struct vbnet *vbnet = netdev_priv(ndev);

	strscpy(info->driver, KBUILD_MODNAME, sizeof(info->driver));
	strscpy(info->bus_info, dev_name(&vbnet->vdev->dev),
		sizeof(info->bus_info));
}

static const struct ethtool_ops vbnet_ethtool_ops = {
	.get_drvinfo		= vbnet_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= vbnet_get_sset_count,
	.get_strings		= vbnet_get_strings,
	.get_ethtool_stats	= vbnet_get_ethtool_stats,
};

static const struct net_device_ops vbnet_netdev_ops = {
	.ndo_open		= vbnet_open,
	.ndo_stop		= vbnet_stop,
	.ndo_start_xmit		= vbnet_start_xmit,
	.ndo_select_queue	= vbnet_select_queue,
	.ndo_features_check	= vbnet_features_check,
	.ndo_get_stats64	= vbnet_get_stats64,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

/* --- vhost bus client ----------------------------------------------------- */

/*
 * Let the data path use the rings, or stop it: once this returns, no
 * softirq context uses them, and work items see it when they start.
 */
static void vbnet_set_running(struct vbnet *vbnet, bool running)
{
	unsigned int i;

	WRITE_ONCE(vbnet->running, running);
	for (i = 0; i < VBNET_MAX_PAIRS; i++) {
		struct vbnet_pair *pair = &vbnet->pairs[i];
		/*
		 * The pairs past those offered do not exist for the frontend:
		 * the control queue may be one of their rings.
		 */
		bool on = running && i < vbnet_max_pairs(vbnet);

		spin_lock_bh(&pair->tx_lock);
		WRITE_ONCE(pair->tx_running, on);
		spin_unlock_bh(&pair->tx_lock);
		spin_lock_bh(&pair->rx_lock);
		WRITE_ONCE(pair->rx_running, on);
		spin_unlock_bh(&pair->rx_lock);
	}
}

/* Stop every context that uses the rings and wait for it; forget packets. */
static void vbnet_stop_rings(struct vbnet *vbnet)
{
	unsigned int i;

	vbnet_set_running(vbnet, false);

	cancel_work_sync(&vbnet->ctrl_work);
	for (i = 0; i < VBNET_MAX_PAIRS; i++) {
		cancel_work_sync(&vbnet->pairs[i].rx_work);
		cancel_work_sync(&vbnet->pairs[i].tx_work);
	}
	/* Completions may queue work again: it finds nothing to do. */
	vhost_xfer_flush(vbnet->vdev);
	for (i = 0; i < VBNET_MAX_PAIRS; i++) {
		struct vbnet_pair *pair = &vbnet->pairs[i];

		cancel_work_sync(&pair->rx_work);
		cancel_work_sync(&pair->tx_work);
		vbnet_pair_drain(pair, false);
		skb_queue_purge(&pair->txq);
	}
	netif_carrier_off(vbnet->ndev);
	local_bh_disable();
	netif_tx_wake_all_queues(vbnet->ndev);
	local_bh_enable();
}

static int vbnet_event(struct vhost_bus_device *vdev,
		       enum vhost_bus_event event)
{
	struct vbnet *vbnet = vhost_get_drvdata(vdev);
	unsigned int i;

	switch (event) {
	case VHOST_BUS_EVENT_DRIVER_OK:
		WRITE_ONCE(vbnet->broken, false);
		/* One pair until the frontend asks for more (5.1.6.5.5). */
		WRITE_ONCE(vbnet->curr_pairs, 1);
		vbnet_set_running(vbnet, true);
		netif_carrier_on(vbnet->ndev);
		/* Buffers may have been made available before DRIVER_OK. */
		queue_work(vbnet_wq, &vbnet->ctrl_work);
		for (i = 0; i < VBNET_MAX_PAIRS; i++) {
			if (vbnet->atomic) {
				vbnet_napi_schedule(&vbnet->pairs[i]);
			} else {
				queue_work(vbnet_wq, &vbnet->pairs[i].rx_work);
				queue_work(vbnet_wq, &vbnet->pairs[i].tx_work);
			}
		}
		break;
	case VHOST_BUS_EVENT_RESET:
		vbnet_stop_rings(vbnet);
		break;
	case VHOST_BUS_EVENT_FEATURES_OK:
	case VHOST_BUS_EVENT_STATUS:
		break;
	}
	return 0;
}

static void vbnet_init_pair(struct vbnet *vbnet, unsigned int index)
{
	struct vbnet_pair *pair = &vbnet->pairs[index];

	pair->vbnet = vbnet;
	pair->index = index;
	pair->rxvq = vbnet->vqs[VBNET_RXQ(index)];
	pair->txvq = vbnet->vqs[VBNET_TXQ(index)];
	spin_lock_init(&pair->tx_lock);
	spin_lock_init(&pair->rx_lock);
	vbnet_init_xfer(pair, &pair->tx, VHOST_BUS_XFER_READ);
	vbnet_init_xfer(pair, &pair->rx, VHOST_BUS_XFER_WRITE);
	INIT_WORK(&pair->rx_work, vbnet_rx_work);
	INIT_WORK(&pair->tx_work, vbnet_tx_work);
	skb_queue_head_init(&pair->txq);
	skb_queue_head_init(&pair->rxq);
	vringh_mmiov_init(&pair->riov, pair->rvec, ARRAY_SIZE(pair->rvec));
	vringh_mmiov_init(&pair->wiov, pair->wvec, ARRAY_SIZE(pair->wvec));
	u64_stats_init(&pair->to_frontend.syncp);
	u64_stats_init(&pair->from_frontend.syncp);
	netif_napi_add(vbnet->ndev, &pair->napi, vbnet_poll);
}

static void vbnet_free(struct vbnet *vbnet)
{
	unsigned int i;

	for (i = 0; i < VBNET_MAX_PAIRS; i++) {
		struct vbnet_pair *pair = &vbnet->pairs[i];

		/* A probe that failed early set up no pair. */
		if (!pair->vbnet)
			continue;
		skb_queue_purge(&pair->rxq);
		vringh_mmiov_cleanup(&pair->riov);
		vringh_mmiov_cleanup(&pair->wiov);
		netif_napi_del(&pair->napi);
	}
	vringh_mmiov_cleanup(&vbnet->ctrl_riov);
	vringh_mmiov_cleanup(&vbnet->ctrl_wiov);
	free_netdev(vbnet->ndev);
}

static int vbnet_probe(struct vhost_bus_device *vdev)
{
	struct vhost_bus_vq_info info[VBNET_NUM_QUEUES] = {
		[VBNET_CTRLQ] = { .name = "ctrl", .callback = vbnet_kick },
	};
	struct virtio_net_config config = {};
	struct net_device *ndev;
	struct vbnet *vbnet;
	unsigned int i;
	int err;

	for (i = 0; i < VBNET_MAX_PAIRS; i++) {
		info[VBNET_RXQ(i)].name = "rx";
		info[VBNET_RXQ(i)].callback = vbnet_kick;
		info[VBNET_TXQ(i)].name = "tx";
		info[VBNET_TXQ(i)].callback = vbnet_kick;
	}

	ndev = alloc_etherdev_mq(sizeof(*vbnet), VBNET_MAX_PAIRS);
	if (!ndev)
		return -ENOMEM;

	SET_NETDEV_DEV(ndev, &vdev->dev);
	vbnet = netdev_priv(ndev);
	vbnet->ndev = ndev;
	vbnet->vdev = vdev;
	vbnet->curr_pairs = 1;
	vbnet->atomic = vdev->atomic_data_path && !workqueue_data_path;
	INIT_WORK(&vbnet->ctrl_work, vbnet_ctrl_work);
	vringh_mmiov_init(&vbnet->ctrl_riov, vbnet->ctrl_rvec,
			  ARRAY_SIZE(vbnet->ctrl_rvec));
	vringh_mmiov_init(&vbnet->ctrl_wiov, vbnet->ctrl_wvec,
			  ARRAY_SIZE(vbnet->ctrl_wvec));
	vhost_set_drvdata(vdev, vbnet);

	ndev->netdev_ops = &vbnet_netdev_ops;
	ndev->ethtool_ops = &vbnet_ethtool_ops;
	ndev->features = NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM |
			 NETIF_F_TSO | NETIF_F_TSO6;
	/* Transfers name fragments by their kernel address. */
	if (!IS_ENABLED(CONFIG_HIGHMEM))
		ndev->features |= NETIF_F_HIGHDMA;
	ndev->hw_features = ndev->features;
	ndev->min_mtu = ETH_MIN_MTU;
	ndev->max_mtu = VBNET_MAX_MTU;
	/* As the frontend's virtio-net, which takes the MTU offered. */
	ndev->mtu = VBNET_MAX_MTU;
	eth_hw_addr_random(ndev);
	netif_carrier_off(ndev);

	err = vhost_set_features(vdev, VBNET_FEATURES);
	if (err)
		goto err_free;

	err = vhost_create_vqs(vdev, VBNET_NUM_QUEUES, vbnet->vqs, info);
	if (err)
		goto err_free;
	for (i = 0; i < VBNET_MAX_PAIRS; i++)
		vbnet_init_pair(vbnet, i);

	/*
	 * A random address for the frontend until configfs sets one, and its
	 * link down until ours is up.
	 */
	eth_random_addr(vbnet->mac);
	vbnet->max_pairs = VBNET_MAX_PAIRS;
	vbnet->mtu = VBNET_MAX_MTU;
	ether_addr_copy(config.mac, vbnet->mac);
	config.max_virtqueue_pairs = vbnet_cpu_to_virtio16(vbnet->max_pairs);
	config.mtu = vbnet_cpu_to_virtio16(vbnet->mtu);
	err = vhost_set_config(vdev, 0, &config,
			       offsetofend(struct virtio_net_config, mtu));
	if (err)
		goto err_free;

	/* Last: once registered, the stack may open the device. */
	err = register_netdev(ndev);
	if (err)
		goto err_free;

	netdev_info(ndev, "virtio-net device for %s, frontend MAC %pM, data path in %s\n",
		    dev_name(&vdev->dev), vbnet->mac,
		    vbnet->atomic ? "softirq context" : "work items");
	return 0;

err_free:
	vbnet_free(vbnet);
	return err;
}

static void vbnet_remove(struct vhost_bus_device *vdev)
{
	struct vbnet *vbnet = vhost_get_drvdata(vdev);

	/* The core stopped the rings already. */
	unregister_netdev(vbnet->ndev);
	vbnet_stop_rings(vbnet);
	vbnet_free(vbnet);
}

/* --- configfs settings ---------------------------------------------------- */

/*
 * The configuration space is what the frontend's virtio-net reads once
 * features are negotiated: a change after that would go unseen.
 */
static int vbnet_cfs_writable(struct vhost_bus_device *vdev, const char *name)
{
	if (!vhost_get_features(vdev))
		return 0;
	dev_err(&vdev->dev,
		"%s: the frontend negotiated already; it must reset the device first\n",
		name);
	return -EBUSY;
}

static ssize_t vbnet_cfs_mac_show(struct vhost_bus_device *vdev, char *page)
{
	struct vbnet *vbnet = vhost_get_drvdata(vdev);

	return sysfs_emit(page, "%pM\n", vbnet->mac);
}

static ssize_t vbnet_cfs_mac_store(struct vhost_bus_device *vdev,
				   const char *page, size_t len)
{
	struct vbnet *vbnet = vhost_get_drvdata(vdev);
	u8 mac[ETH_ALEN];
	int err;

	/* Six bytes and an optional newline, nothing more. */
	if (len < 3 * ETH_ALEN - 1 ||
	    (len > 3 * ETH_ALEN - 1 && strcmp(page + 3 * ETH_ALEN - 1, "\n")) ||
	    !mac_pton(page, mac) || !is_valid_ether_addr(mac)) {
		dev_err(&vdev->dev,
			"mac: expected a unicast address, xx:xx:xx:xx:xx:xx\n");
		return -EINVAL;
	}
	err = vbnet_cfs_writable(vdev, "mac");
	if (err)
		return err;
	err = vhost_set_config(vdev, offsetof(struct virtio_net_config, mac),
			       mac, sizeof(mac));
	if (err)
		return err;
	ether_addr_copy(vbnet->mac, mac);
	return len;
}

static ssize_t vbnet_cfs_mtu_show(struct vhost_bus_device *vdev, char *page)
{
	struct vbnet *vbnet = vhost_get_drvdata(vdev);

	return sysfs_emit(page, "%u\n", vbnet->mtu);
}

static ssize_t vbnet_cfs_mtu_store(struct vhost_bus_device *vdev,
				   const char *page, size_t len)
{
	struct vbnet *vbnet = vhost_get_drvdata(vdev);
	__virtio16 val;
	u16 mtu;
	int err;

	if (kstrtou16(page, 0, &mtu) || mtu < ETH_MIN_MTU) {
		dev_err(&vdev->dev, "mtu: expected a number from %u to %u\n",
			ETH_MIN_MTU, VBNET_MAX_MTU);
		return -EINVAL;
	}
	err = vbnet_cfs_writable(vdev, "mtu");
	if (err)
		return err;
	val = vbnet_cpu_to_virtio16(mtu);
	err = vhost_set_config(vdev, offsetof(struct virtio_net_config, mtu),
			       &val, sizeof(val));
	if (err)
		return err;
	vbnet->mtu = mtu;
	return len;
}

static ssize_t vbnet_cfs_queue_pairs_show(struct vhost_bus_device *vdev,
					  char *page)
{
	struct vbnet *vbnet = vhost_get_drvdata(vdev);

	return sysfs_emit(page, "%u\n", vbnet->max_pairs);
}

static ssize_t vbnet_cfs_queue_pairs_store(struct vhost_bus_device *vdev,
					   const char *page, size_t len)
{
	struct vbnet *vbnet = vhost_get_drvdata(vdev);
	__virtio16 val;
	u16 pairs;
	int err;

	if (kstrtou16(page, 0, &pairs) || !pairs || pairs > VBNET_MAX_PAIRS) {
		dev_err(&vdev->dev,
			"queue_pairs: expected a number from 1 to %u\n",
			VBNET_MAX_PAIRS);
		return -EINVAL;
	}
	err = vbnet_cfs_writable(vdev, "queue_pairs");
	if (err)
		return err;
	val = vbnet_cpu_to_virtio16(pairs);
	err = vhost_set_config(vdev,
			       offsetof(struct virtio_net_config,
					max_virtqueue_pairs),
			       &val, sizeof(val));
	if (err)
		return err;
	vbnet->max_pairs = pairs;
	return len;
}

static const struct vhost_bus_client_attr vbnet_cfs_attrs[] = {
	{ "mac", vbnet_cfs_mac_show, vbnet_cfs_mac_store },
	{ "mtu", vbnet_cfs_mtu_show, vbnet_cfs_mtu_store },
	{ "queue_pairs", vbnet_cfs_queue_pairs_show,
	  vbnet_cfs_queue_pairs_store },
	{ }
};

static const struct vhost_bus_device_id vbnet_ids[] = {
	{ VIRTIO_ID_NET, VHOST_BUS_DEV_ANY_ID },
	{ }
};
MODULE_DEVICE_TABLE(vhost_bus, vbnet_ids);

static struct vhost_bus_driver vbnet_driver = {
	.driver.name	= KBUILD_MODNAME,
	.id_table	= vbnet_ids,
	.probe		= vbnet_probe,
	.remove		= vbnet_remove,
	.event		= vbnet_event,
	.cfs_attrs	= vbnet_cfs_attrs,
};

static int __init vbnet_init(void)
{
	int err;

	vbnet_wq = alloc_workqueue(KBUILD_MODNAME, WQ_UNBOUND | WQ_HIGHPRI, 0);
	if (!vbnet_wq)
		return -ENOMEM;

	err = vhost_register_driver(&vbnet_driver);
	if (err)
		destroy_workqueue(vbnet_wq);
	return err;
}
module_init(vbnet_init);

static void __exit vbnet_exit(void)
{
	vhost_unregister_driver(&vbnet_driver);
	destroy_workqueue(vbnet_wq);
}
module_exit(vbnet_exit);

MODULE_DESCRIPTION("The device side of virtio-net, on the vhost bus");
MODULE_LICENSE("GPL");
