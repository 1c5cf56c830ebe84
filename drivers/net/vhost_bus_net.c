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
 * Each direction of each queue pair is a state machine run by a work item:
 * it takes a bounded batch of buffers from a ring, completes them, notifies
 * the frontend if it asked, and requeues itself while there is more.
 * Packets from the frontend are handed to the stack by NAPI.
 */

#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
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
 * Packets queued for the stack before a transmit queue of the frontend is
 * left alone, and packets queued for the frontend before one of our
 * transmit queues stops.
 */
#define VBNET_BACKLOG		256
/* Segments of a descriptor chain that need no allocation. */
#define VBNET_IOV		(MAX_SKB_FRAGS + 4)
/*
 * Bytes of a received packet in the linear part, at least; the rest in
 * pages. More when the header says the headers are longer, up to what
 * fits a page.
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
 * The virtqueues, as virtio-net numbers them (virtio 1.2, 5.1.2): receiveq
 * and transmitq of each pair, then the control queue.
 */
#define VBNET_RXQ(pair)		(2 * (pair))
#define VBNET_TXQ(pair)		(2 * (pair) + 1)
#define VBNET_CTRLQ		(2 * VBNET_MAX_PAIRS)
/* Where the control queue is without VIRTIO_NET_F_MQ: after one pair. */
#define VBNET_CTRLQ_1PAIR	2
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

/**
 * struct vbnet_stats - the counters of one direction of a queue pair
 * @packets: packets moved.
 * @bytes: their bytes, without the virtio-net header.
 * @copies: copies through the transport (one per segment).
 * @chains: descriptor chains taken from the ring. Each costs the device
 *	reads of the frontend's ring: the driver ring index and entry, and
 *	the descriptors.
 * @notifications: interrupts sent to the frontend.
 * @errors: malformed or oversized buffers.
 * @drops: packets dropped for want of buffers or memory.
 * @syncp: for 64-bit counters on 32-bit hosts.
 *
 * Written only by the work item of that direction.
 */
struct vbnet_stats {
	u64 packets;
	u64 bytes;
	u64 copies;
	u64 chains;
	u64 notifications;
	u64 errors;
	u64 drops;
	struct u64_stats_sync syncp;
};

struct vbnet;

/**
 * struct vbnet_pair - one queue pair
 * @vbnet: the device.
 * @index: the pair's number.
 * @rxvq: the frontend's receive queue, which we fill.
 * @txvq: the frontend's transmit queue, which we drain.
 * @rx_work: moves packets of @txq into @rxvq.
 * @tx_work: takes packets of @txvq into @rxq.
 * @txq: packets we transmit, waiting for frontend buffers.
 * @rxq: packets the frontend transmitted, waiting for NAPI.
 * @napi: hands @rxq to the stack.
 * @riov: the readable segments of a chain, for @tx_work.
 * @wiov: the writable segments of a chain, for @rx_work.
 * @rvec: the first segments of @riov.
 * @wvec: the first segments of @wiov.
 * @used: the receive chains a packet for the frontend took.
 * @to_frontend: counters of what @rx_work wrote to the frontend.
 * @from_frontend: counters of what @tx_work read from the frontend.
 * @rx_kicks: notifications of @rxvq.
 * @tx_kicks: notifications of @txvq.
 * @xmit_drops: packets we dropped with the frontend not there.
 */
struct vbnet_pair {
	struct vbnet *vbnet;
	unsigned int index;
	struct vhost_bus_vq *rxvq;
	struct vhost_bus_vq *txvq;
	struct work_struct rx_work;
	struct work_struct tx_work;
	struct sk_buff_head txq;
	struct sk_buff_head rxq;
	struct napi_struct napi;
	struct vringh_mmiov riov;
	struct vringh_mmiov wiov;
	struct vringh_mmiovec rvec[VBNET_IOV];
	struct vringh_mmiovec wvec[VBNET_IOV];
	struct vring_used_elem used[VBNET_RX_CHAINS];
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
 * @lock: serialises the work items with reset: protects @running and
 *	@broken.
 * @running: the frontend set DRIVER_OK and did not reset since.
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
	struct mutex lock;		/* @running and @broken, vs workers */
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

static void vbnet_stats_add(struct vbnet_stats *s, u64 packets, u64 bytes,
			    u64 copies, u64 chains, u64 notifications,
			    u64 errors, u64 drops)
{
	u64_stats_update_begin(&s->syncp);
	s->packets += packets;
	s->bytes += bytes;
	s->copies += copies;
	s->chains += chains;
	s->notifications += notifications;
	s->errors += errors;
	s->drops += drops;
	u64_stats_update_end(&s->syncp);
}

/* --- moving bytes --------------------------------------------------------- */

/*
 * Copy up to @len bytes between @buf and the chain behind @iov, from where
 * @iov stands, one transport copy per segment, counted in @copies. Returns
 * the bytes copied, fewer than @len only when the chain ends, or -errno.
 */
static ssize_t vbnet_copy(struct vhost_bus_device *vdev,
			  struct vringh_mmiov *iov, void *buf, size_t len,
			  bool to_frontend, int *copies)
{
	size_t done = 0;
	int err;

	while (done < len && iov->i < iov->used) {
		struct vringh_mmiovec *seg = &iov->iov[iov->i];
		size_t n = min(len - done, seg->len - iov->consumed);

		if (to_frontend)
			err = vhost_write(vdev, seg->addr + iov->consumed,
					  buf + done, n);
		else
			err = vhost_read(vdev, buf + done,
					 seg->addr + iov->consumed, n);
		if (err)
			return err;
		(*copies)++;
		done += n;
		iov->consumed += n;
		if (iov->consumed == seg->len) {
			iov->consumed = 0;
			iov->i++;
		}
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
 * Take the next chain of @vq. Returns 1 with a chain, 0 if there is none
 * (notifications are then enabled), or -errno; a broken ring marks the
 * device broken until the frontend resets it.
 */
static int vbnet_getdesc(struct vbnet *vbnet, struct vhost_bus_vq *vq,
			 struct vringh_mmiov *riov, struct vringh_mmiov *wiov,
			 u16 *head)
{
	int ret;

	lockdep_assert_held(&vbnet->lock);

	for (;;) {
		ret = vhost_bus_vq_getdesc(vq, riov, wiov, head, GFP_KERNEL);
		if (ret > 0 || ret == -ENOTCONN)
			return ret;
		if (ret < 0) {
			if (*head == vq->vrh.vring.num) {
				/* NEEDS_RESET is set: wait for the reset. */
				vbnet->broken = true;
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
	/* A queue the frontend did not enable has no ring. */
	if (vhost_bus_vq_ready(vq) && vringh_need_notify_mmio(&vq->vrh) > 0) {
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

/* Build an skb from a chain the frontend transmitted. */
static struct sk_buff *vbnet_pull_skb(struct vbnet_pair *pair, size_t len,
				      int *copies)
{
	struct vbnet *vbnet = pair->vbnet;
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct sk_buff *skb;
	size_t linear;
	int err;

	err = vbnet_copy_all(vbnet->vdev, &pair->riov, &hdr, VBNET_HDR_LEN,
			     false, copies);
	if (err)
		return ERR_PTR(err);
	linear = vbnet_linear_len(&hdr.hdr, len);

	skb = netdev_alloc_skb_ip_align(vbnet->ndev, linear);
	if (!skb)
		return ERR_PTR(-ENOMEM);

	err = vbnet_copy_all(vbnet->vdev, &pair->riov, skb_put(skb, linear),
			     linear, false, copies);
	if (err)
		goto err_free;
	len -= linear;

	while (len) {
		size_t chunk = min_t(size_t, len, PAGE_SIZE);
		struct page *page;

		if (skb_shinfo(skb)->nr_frags >= MAX_SKB_FRAGS) {
			err = -EMSGSIZE;
			goto err_free;
		}
		page = alloc_page(GFP_KERNEL);
		if (!page) {
			err = -ENOMEM;
			goto err_free;
		}
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, 0, chunk,
				PAGE_SIZE);
		err = vbnet_copy_all(vbnet->vdev, &pair->riov,
				     page_address(page), chunk, false, copies);
		if (err)
			goto err_free;
		len -= chunk;
	}

	/* csum_start counts from the Ethernet header: before eth_type_trans(). */
	err = virtio_net_hdr_to_skb(skb, &hdr.hdr, true);
	if (err)
		goto err_free;
	skb->protocol = eth_type_trans(skb, vbnet->ndev);
	skb_record_rx_queue(skb, pair->index);
	return skb;

err_free:
	kfree_skb(skb);
	return ERR_PTR(err);
}

static void vbnet_tx_work(struct work_struct *work)
{
	struct vbnet_pair *pair = container_of(work, struct vbnet_pair,
					       tx_work);
	struct vbnet *vbnet = pair->vbnet;
	struct vhost_bus_vq *vq = pair->txvq;
	u64 packets = 0, bytes = 0, copies = 0, chains = 0, notes = 0;
	u64 errors = 0, drops = 0;
	int budget;

	mutex_lock(&vbnet->lock);
	if (!vbnet->running || vbnet->broken ||
	    pair->index >= vbnet_max_pairs(vbnet))
		goto out_unlock;

	for (budget = VBNET_BATCH; budget; budget--) {
		struct sk_buff *skb = NULL;
		size_t len;
		u16 head;
		int ret, n = 0;

		if (skb_queue_len(&pair->rxq) >= VBNET_BACKLOG)
			break;	/* NAPI requeues us */

		ret = vbnet_getdesc(vbnet, vq, &pair->riov, NULL, &head);
		if (ret == -ENOTCONN)
			break;
		if (ret < 0) {
			errors++;
			if (vbnet->broken)
				break;
			continue;
		}
		if (!ret)
			break;

		chains++;
		len = vringh_mmiov_length(&pair->riov);
		if (!netif_running(vbnet->ndev)) {
			drops++;
		} else if (len < VBNET_HDR_LEN + ETH_HLEN ||
			   len > VBNET_HDR_LEN + VBNET_MAX_FRAME) {
			errors++;
		} else {
			skb = vbnet_pull_skb(pair, len - VBNET_HDR_LEN, &n);
			if (PTR_ERR(skb) == -ENOTCONN) {
				/* Being reset: the chain is the frontend's. */
				vringh_abandon_mmio(&vq->vrh, 1);
				break;
			}
			if (IS_ERR(skb)) {
				if (PTR_ERR(skb) == -ENOMEM)
					drops++;
				else
					errors++;
				skb = NULL;
			}
		}
		vringh_complete_mmio(&vq->vrh, head, 0);
		copies += n;
		if (!skb)
			continue;

		packets++;
		bytes += skb->len;
		skb_queue_tail(&pair->rxq, skb);
	}

	vbnet_notify(vq, &notes);
	if (packets) {
		/* Run NET_RX now, not at the next interrupt. */
		local_bh_disable();
		napi_schedule(&pair->napi);
		local_bh_enable();
	}
	if (!budget)
		queue_work(vbnet_wq, &pair->tx_work);

out_unlock:
	mutex_unlock(&vbnet->lock);
	vbnet_stats_add(&pair->from_frontend, packets, bytes, copies, chains,
			notes, errors, drops);
}

static int vbnet_poll(struct napi_struct *napi, int budget)
{
	struct vbnet_pair *pair = container_of(napi, struct vbnet_pair, napi);
	struct sk_buff *skb;
	int done = 0;

	while (done < budget && (skb = skb_dequeue(&pair->rxq))) {
		napi_gro_receive(napi, skb);
		done++;
	}

	/* The worker paused on a full backlog: let it go on. */
	if (done && skb_queue_len(&pair->rxq) < VBNET_BACKLOG / 2)
		queue_work(vbnet_wq, &pair->tx_work);

	if (done < budget && napi_complete_done(napi, done) &&
	    !skb_queue_empty(&pair->rxq))
		napi_schedule(napi);
	return done;
}

/* --- the frontend's receive queues: packets we transmit ------------------- */

/*
 * A packet on its way into the frontend's receive chains: one chain, or
 * with VIRTIO_NET_F_MRG_RXBUF as many as it takes, all published together
 * once the packet is complete (virtio 1.2, 5.1.6.4).
 */
struct vbnet_rx_state {
	unsigned int max;	/* chains the packet may take */
	unsigned int chains;	/* taken, in &vbnet_pair.used */
	u32 len;		/* bytes written into the last one */
	int copies;
};

/* Take one more receive chain; -EAGAIN if the frontend has none yet. */
static int vbnet_rx_take(struct vbnet_pair *pair, struct vbnet_rx_state *st)
{
	struct vhost_bus_vq *vq = pair->rxvq;
	u16 head;
	int ret;

	if (st->chains == st->max)
		return -EMSGSIZE;
	ret = vbnet_getdesc(pair->vbnet, vq, NULL, &pair->wiov, &head);
	if (ret <= 0)
		return ret ?: -EAGAIN;

	if (st->chains)
		pair->used[st->chains - 1].len = cpu_to_vringh32(&vq->vrh,
								 st->len);
	pair->used[st->chains].id = cpu_to_vringh32(&vq->vrh, head);
	st->chains++;
	st->len = 0;
	return 0;
}

/* Write @len bytes of the packet, taking chains as they fill up. */
static int vbnet_rx_put(struct vbnet_pair *pair, struct vbnet_rx_state *st,
			const void *buf, size_t len)
{
	ssize_t n;
	int err;

	for (;;) {
		n = vbnet_copy(pair->vbnet->vdev, &pair->wiov, (void *)buf, len,
			       true, &st->copies);
		if (n < 0)
			return n;
		st->len += n;
		buf += n;
		len -= n;
		if (!len)
			return 0;
		err = vbnet_rx_take(pair, st);
		if (err)
			return err;
	}
}

static int vbnet_rx_put_skb(struct vbnet_pair *pair,
			    struct vbnet_rx_state *st, struct sk_buff *skb)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	int err, i;

	err = vbnet_rx_put(pair, st, skb->data, skb_headlen(skb));
	if (err)
		return err;

	/* The copies may sleep: map the fragments one page at a time. */
	for (i = 0; i < shinfo->nr_frags; i++) {
		skb_frag_t *frag = &shinfo->frags[i];
		u32 p_off, p_len, done;
		struct page *page;

		skb_frag_foreach_page(frag, skb_frag_off(frag),
				      skb_frag_size(frag), page, p_off, p_len,
				      done) {
			void *vaddr = kmap_local_page(page);

			err = vbnet_rx_put(pair, st, vaddr + p_off, p_len);
			kunmap_local(vaddr);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * Write @skb into the frontend's receive chains and publish them. Returns
 * the number of chains used, 0 if the frontend has not made enough
 * available yet (none is taken then), or -errno if the packet cannot be
 * delivered: the chains it took are returned empty, or put back for the
 * next packet if they were only too few.
 */
static int vbnet_rx_skb(struct vbnet_pair *pair, struct sk_buff *skb,
			int *copies)
{
	struct vbnet *vbnet = pair->vbnet;
	struct vhost_bus_vq *vq = pair->rxvq;
	struct virtio_net_hdr_mrg_rxbuf hdr = {};
	struct vbnet_rx_state st = { .max = 1 };
	bool csum = vhost_bus_has_feature(vbnet->vdev,
					  VIRTIO_NET_F_GUEST_CSUM);
	bool mergeable = vhost_bus_has_feature(vbnet->vdev,
					       VIRTIO_NET_F_MRG_RXBUF);
	u64 num_buffers = 0;
	unsigned int i;
	int err;

	if (virtio_net_hdr_from_skb(skb, &hdr.hdr, true, csum, 0))
		return -EINVAL;
	hdr.num_buffers = vbnet_cpu_to_virtio16(1);
	/*
	 * virtio-net refills its ring once half of it is free: a packet
	 * waiting for more than half the ring could wait for ever.
	 */
	if (mergeable)
		st.max = min_t(unsigned int, VBNET_RX_CHAINS,
			       vq->vrh.vring.num / 2);

	err = vbnet_rx_take(pair, &st);
	if (err)
		return err == -EAGAIN ? 0 : err;
	/*
	 * num_buffers is written once the packet is out: virtio-net gives
	 * each mergeable buffer one descriptor, so the header is in the first.
	 */
	if (mergeable) {
		if (!pair->wiov.used || pair->wiov.iov[0].len < VBNET_HDR_LEN) {
			err = -EINVAL;
			goto err_return;
		}
		num_buffers = pair->wiov.iov[0].addr +
			      offsetof(struct virtio_net_hdr_mrg_rxbuf,
				       num_buffers);
	}

	err = vbnet_rx_put(pair, &st, &hdr, VBNET_HDR_LEN);
	if (!err)
		err = vbnet_rx_put_skb(pair, &st, skb);
	if (err == -EAGAIN || err == -EMSGSIZE || err == -ENOTCONN) {
		/* Not one taken chain was completed: the frontend's again. */
		vringh_abandon_mmio(&vq->vrh, st.chains);
		return err == -EAGAIN ? 0 : err;
	}
	if (err)
		goto err_return;

	if (st.chains > 1) {
		hdr.num_buffers = vbnet_cpu_to_virtio16(st.chains);
		err = vhost_write(vbnet->vdev, num_buffers, &hdr.num_buffers,
				  sizeof(hdr.num_buffers));
		if (err)
			goto err_return;
		st.copies++;
	}
	pair->used[st.chains - 1].len = cpu_to_vringh32(&vq->vrh, st.len);
	vringh_complete_multi_mmio(&vq->vrh, pair->used, st.chains);
	*copies += st.copies;
	return st.chains;

err_return:
	/* A broken ring is not touched again. */
	if (vbnet->broken)
		return err;
	if (err == -ENOTCONN) {
		/* Being reset: give the chains back, complete none. */
		vringh_abandon_mmio(&vq->vrh, st.chains);
	} else {
		for (i = 0; i < st.chains; i++)
			pair->used[i].len = 0;
		vringh_complete_multi_mmio(&vq->vrh, pair->used, st.chains);
	}
	return err;
}

static void vbnet_rx_work(struct work_struct *work)
{
	struct vbnet_pair *pair = container_of(work, struct vbnet_pair,
					       rx_work);
	struct vbnet *vbnet = pair->vbnet;
	struct vhost_bus_vq *vq = pair->rxvq;
	struct netdev_queue *txq = netdev_get_tx_queue(vbnet->ndev,
						       pair->index);
	u64 packets = 0, bytes = 0, copies = 0, chains = 0, notes = 0;
	u64 errors = 0, drops = 0;
	int budget;

	mutex_lock(&vbnet->lock);
	if (!vbnet->running || vbnet->broken)
		goto out_unlock;
	/*
	 * A pair the frontend does not use gets no packet (5.1.6.5.5); without
	 * VIRTIO_NET_F_MQ, the second pair's receive queue is the control
	 * queue.
	 */
	if (pair->index >= vbnet_pairs(vbnet)) {
		drops += skb_queue_len(&pair->txq);
		skb_queue_purge(&pair->txq);
		goto out_wake;
	}

	for (budget = VBNET_BATCH; budget; budget--) {
		struct sk_buff *skb = skb_peek(&pair->txq);
		int n = 0, ret;

		if (!skb)
			break;

		ret = vbnet_rx_skb(pair, skb, &n);
		if (!ret)
			break;	/* no buffer: the frontend kicks when it adds */
		if (ret == -ENOTCONN)
			break;
		if (ret < 0 && vbnet->broken) {
			errors++;
			break;
		}

		skb_unlink(skb, &pair->txq);
		if (ret < 0) {
			if (ret == -EMSGSIZE)
				drops++;	/* the buffers are too small */
			else
				errors++;
			kfree_skb(skb);
			continue;
		}
		packets++;
		bytes += skb->len;
		copies += n;
		chains += ret;
		dev_consume_skb_any(skb);
	}

	vbnet_notify(vq, &notes);
	if (!budget)
		queue_work(vbnet_wq, &pair->rx_work);
out_wake:
	if (netif_tx_queue_stopped(txq) &&
	    skb_queue_len(&pair->txq) < VBNET_BACKLOG / 2) {
		local_bh_disable();
		netif_tx_wake_queue(txq);
		local_bh_enable();
	}

out_unlock:
	mutex_unlock(&vbnet->lock);
	vbnet_stats_add(&pair->to_frontend, packets, bytes, copies, chains,
			notes, errors, drops);
}

/* --- the control queue ---------------------------------------------------- */

/* The control queue's index depends on VIRTIO_NET_F_MQ (virtio 1.2, 5.1.2). */
static struct vhost_bus_vq *vbnet_ctrlq(struct vbnet *vbnet)
{
	if (vhost_bus_has_feature(vbnet->vdev, VIRTIO_NET_F_MQ))
		return vbnet->vqs[VBNET_CTRLQ];
	return vbnet->vqs[VBNET_CTRLQ_1PAIR];
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
	for (i = n; i < VBNET_MAX_PAIRS; i++)
		queue_work(vbnet_wq, &vbnet->pairs[i].rx_work);
	return VIRTIO_NET_OK;
}

static void vbnet_ctrl_work(struct work_struct *work)
{
	struct vbnet *vbnet = container_of(work, struct vbnet, ctrl_work);
	struct vhost_bus_vq *vq = vbnet_ctrlq(vbnet);
	struct virtio_net_ctrl_hdr ctrl;
	u64 notes = 0;
	int budget;

	mutex_lock(&vbnet->lock);
	if (!vbnet->running || vbnet->broken)
		goto out_unlock;

	for (budget = VBNET_BATCH; budget; budget--) {
		u8 status = VIRTIO_NET_ERR;
		int copies = 0, ret;
		size_t len;
		u16 head;

		ret = vbnet_getdesc(vbnet, vq, &vbnet->ctrl_riov,
				    &vbnet->ctrl_wiov, &head);
		if (ret <= 0) {
			if (ret < 0 && !vbnet->broken && ret != -ENOTCONN)
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

out_unlock:
	mutex_unlock(&vbnet->lock);
}

/* --- kicks ---------------------------------------------------------------- */

static void vbnet_kick(struct vhost_bus_vq *vq)
{
	struct vbnet *vbnet = vhost_get_drvdata(vq->vdev);
	struct vbnet_pair *pair;

	if (vq == vbnet_ctrlq(vbnet)) {
		queue_work(vbnet_wq, &vbnet->ctrl_work);
		return;
	}

	pair = &vbnet->pairs[vq->index / 2];
	if (vq == pair->rxvq) {
		atomic64_inc(&pair->rx_kicks);
		queue_work(vbnet_wq, &pair->rx_work);
	} else {
		atomic64_inc(&pair->tx_kicks);
		queue_work(vbnet_wq, &pair->tx_work);
	}
}

/* --- network device ------------------------------------------------------- */

static void vbnet_set_link(struct vbnet *vbnet, bool up)
{
	__le16 status = cpu_to_le16(up ? VIRTIO_NET_S_LINK_UP : 0);

	vhost_set_config(vbnet->vdev, offsetof(struct virtio_net_config, status),
			 &status, sizeof(status));
}

static int vbnet_open(struct net_device *ndev)
{
	struct vbnet *vbnet = netdev_priv(ndev);
	unsigned int i;

	for (i = 0; i < VBNET_MAX_PAIRS; i++) {
		napi_enable(&vbnet->pairs[i].napi);
		/* The frontend may have transmitted while we were down. */
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
	netif_tx_stop_all_queues(ndev);
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
	return 0;
}

static netdev_tx_t vbnet_start_xmit(struct sk_buff *skb,
				    struct net_device *ndev)
{
	struct vbnet *vbnet = netdev_priv(ndev);
	unsigned int q = skb_get_queue_mapping(skb);
	struct vbnet_pair *pair;

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

	if (!netif_carrier_ok(ndev)) {
		dev_kfree_skb_any(skb);
		atomic64_inc(&pair->xmit_drops);
		return NETDEV_TX_OK;
	}

	/* It may wait for the frontend's buffers: let go of what it holds. */
	if (skb_orphan_frags_rx(skb, GFP_ATOMIC)) {
		dev_kfree_skb_any(skb);
		atomic64_inc(&pair->xmit_drops);
		return NETDEV_TX_OK;
	}
	skb_orphan(skb);
	nf_reset_ct(skb);
	skb_queue_tail(&pair->txq, skb);
	if (skb_queue_len(&pair->txq) >= VBNET_BACKLOG)
		netif_tx_stop_queue(netdev_get_tx_queue(ndev, q));
	queue_work(vbnet_wq, &pair->rx_work);
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
			tp = to->packets;
			tb = to->bytes;
			te = to->errors;
			td = to->drops;
		} while (u64_stats_fetch_retry(&to->syncp, start));
		do {
			start = u64_stats_fetch_begin(&from->syncp);
			rp = from->packets;
			rb = from->bytes;
			re = from->errors;
			rd = from->drops;
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
		data[0] = s->packets;
		data[1] = s->bytes;
		data[2] = s->copies;
		data[3] = s->chains;
		data[4] = s->notifications;
		data[6] = s->errors;
		data[7] = s->drops + drops;
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

/* Stop every worker and wait for it; forget packets in flight. */
static void vbnet_stop_rings(struct vbnet *vbnet)
{
	unsigned int i;

	mutex_lock(&vbnet->lock);
	vbnet->running = false;
	mutex_unlock(&vbnet->lock);

	cancel_work_sync(&vbnet->ctrl_work);
	for (i = 0; i < VBNET_MAX_PAIRS; i++) {
		cancel_work_sync(&vbnet->pairs[i].rx_work);
		cancel_work_sync(&vbnet->pairs[i].tx_work);
		skb_queue_purge(&vbnet->pairs[i].txq);
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
		mutex_lock(&vbnet->lock);
		vbnet->running = true;
		vbnet->broken = false;
		/* One pair until the frontend asks for more (5.1.6.5.5). */
		WRITE_ONCE(vbnet->curr_pairs, 1);
		mutex_unlock(&vbnet->lock);
		netif_carrier_on(vbnet->ndev);
		/* Buffers may have been made available before DRIVER_OK. */
		queue_work(vbnet_wq, &vbnet->ctrl_work);
		for (i = 0; i < VBNET_MAX_PAIRS; i++) {
			queue_work(vbnet_wq, &vbnet->pairs[i].rx_work);
			queue_work(vbnet_wq, &vbnet->pairs[i].tx_work);
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

		skb_queue_purge(&pair->rxq);
		vringh_mmiov_cleanup(&pair->riov);
		vringh_mmiov_cleanup(&pair->wiov);
		if (pair->vbnet)
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
	mutex_init(&vbnet->lock);
	INIT_WORK(&vbnet->ctrl_work, vbnet_ctrl_work);
	vringh_mmiov_init(&vbnet->ctrl_riov, vbnet->ctrl_rvec,
			  ARRAY_SIZE(vbnet->ctrl_rvec));
	vringh_mmiov_init(&vbnet->ctrl_wiov, vbnet->ctrl_wvec,
			  ARRAY_SIZE(vbnet->ctrl_wvec));
	vhost_set_drvdata(vdev, vbnet);

	ndev->netdev_ops = &vbnet_netdev_ops;
	ndev->ethtool_ops = &vbnet_ethtool_ops;
	ndev->features = NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM |
			 NETIF_F_HIGHDMA | NETIF_F_TSO | NETIF_F_TSO6;
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

	netdev_info(ndev, "virtio-net device for %s, frontend MAC %pM\n",
		    dev_name(&vdev->dev), vbnet->mac);
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
