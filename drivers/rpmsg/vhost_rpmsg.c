// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost_rpmsg: the device side of virtio-rpmsg, as an rpmsg bus.
 *
 * A client of the vhost bus. The frontend host runs the stock
 * virtio_rpmsg_bus on a transport (virtio-ntb, a PCI endpoint); this host
 * implements the device and presents an rpmsg bus of its own, so that the
 * same rpmsg drivers (rpmsg_char and rpmsg_ctrl, rpmsg_client_sample)
 * bind on both hosts.
 *
 * The frontend owns every buffer, as virtio-rpmsg has it: it gives empty
 * buffers on its "input" queue, which this host fills with messages, and
 * messages on its "output" queue, which this host reads and gives back.
 * Receive runs in a work item and delivers each message to the endpoint
 * its destination names; a send takes a buffer of the input queue in the
 * sender's context, and waits for one, as virtio_rpmsg_bus does, when the
 * frontend has none.
 *
 * With VIRTIO_RPMSG_F_NS, both hosts run the name service at address 53:
 * the frontend's announcements create channels here (removed again when
 * the frontend resets the device), and the channels of this host that
 * have a source address are announced to the frontend whenever it starts
 * the device.
 *
 * See Documentation/staging/rpmsg-vhost.rst.
 */

#include <linux/device.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rpmsg.h>
#include <linux/rpmsg/ns.h>
#include <linux/slab.h>
#include <linux/vhost_bus.h>
#include <linux/virtio_ids.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "rpmsg_internal.h"

/* Feature bit of virtio-rpmsg (virtio 1.2, 5.5.3): name service. */
#define VHOST_RPMSG_F_NS	0

/* The queues, as virtio_rpmsg_bus numbers them. */
#define VHOST_RPMSG_INPUTQ	0	/* the frontend receives: we write */
#define VHOST_RPMSG_OUTPUTQ	1	/* the frontend sends: we read */
#define VHOST_RPMSG_NUM_QUEUES	2

/*
 * The buffer size of virtio_rpmsg_bus, which has no way to tell it: a
 * message and its header fit in one.
 */
#define VHOST_RPMSG_BUF_SIZE	512
#define VHOST_RPMSG_MAX_PAYLOAD	\
	(VHOST_RPMSG_BUF_SIZE - sizeof(struct vhost_rpmsg_hdr))

/* Addresses below this are never allocated to an endpoint, as upstream. */
#define VHOST_RPMSG_RESERVED_ADDRESSES	1024

/* Messages taken from the output queue in one run of the receive work. */
#define VHOST_RPMSG_BATCH	64

/* The most channels the frontend's announcements may create here. */
#define VHOST_RPMSG_MAX_REMOTE	256

/* How long a send waits for a buffer, as virtio_rpmsg_bus. */
#define VHOST_RPMSG_SEND_TIMEOUT	(15 * HZ)

/* Segments of a descriptor chain that need no allocation. */
#define VHOST_RPMSG_IOV		4

/* The counters, in Documentation/ABI/testing/sysfs-bus-vhost-rpmsg. */
enum {
	VHOST_RPMSG_STAT_RX,
	VHOST_RPMSG_STAT_TX,
	VHOST_RPMSG_STAT_RX_MALFORMED,
	VHOST_RPMSG_STAT_RX_UNROUTED,
	VHOST_RPMSG_STAT_BAD_CHAINS,
	VHOST_RPMSG_NR_STATS
};

/**
 * struct vhost_rpmsg_hdr - the header of each message, as virtio-rpmsg has it
 * @src: the sender's address.
 * @dst: the recipient's address.
 * @reserved: 0.
 * @len: the length of @data.
 * @flags: 0.
 * @data: the payload.
 *
 * Little endian: virtio 1.0 is always negotiated on the vhost bus.
 */
struct vhost_rpmsg_hdr {
	__le32 src;
	__le32 dst;
	__le32 reserved;
	__le16 len;
	__le16 flags;
	u8 data[];
} __packed;

/**
 * struct vhost_rpmsg - the device
 * @vdev: the vhost bus device.
 * @vqs: the two virtqueues.
 * @inputq: the frontend's input queue, which sends fill.
 * @outputq: the frontend's output queue, which @rx_work empties.
 * @running: the frontend drives the device: the rings may be used.
 * @broken: a ring is broken; nothing moves until the frontend resets.
 * @tx_lock: serialises sends: the input queue and @wiov.
 * @wiov: the writable segments of an input buffer.
 * @wvec: the first segments of @wiov.
 * @sendq: where senders wait for an input buffer.
 * @input_kicks: kicks of the input queue, for the waiting senders.
 * @rx_work: takes messages from the output queue and delivers them.
 * @riov: the readable segments of an output buffer; @rx_work's.
 * @rvec: the first segments of @riov.
 * @rx_buf: the message @rx_work delivers.
 * @endpoints: the endpoints, by address.
 * @endpoints_lock: protects @endpoints.
 * @channels_lock: serialises the creation of channels, @nr_remote and
 *	each channel's &vhost_rpmsg_channel.registered.
 * @nr_remote: the registered channels the frontend announced.
 * @removing: the device goes away: no channel is added any more;
 *	protected by @channels_lock.
 * @ctrl: the rpmsg_ctrl device, for /dev/rpmsg_ctrlN.
 * @ns: the name service device.
 * @announce_work: announces this host's channels once the frontend starts.
 * @stats: the counters, in sysfs (vhost_rpmsg_stat_attrs).
 */
struct vhost_rpmsg {
	struct vhost_bus_device *vdev;
	struct vhost_bus_vq *vqs[VHOST_RPMSG_NUM_QUEUES];
	struct vhost_bus_vq *inputq;
	struct vhost_bus_vq *outputq;
	bool running;
	bool broken;

	struct mutex tx_lock;		/* the input queue */
	struct vringh_mmiov wiov;
	struct vringh_mmiovec wvec[VHOST_RPMSG_IOV];
	wait_queue_head_t sendq;
	atomic_t input_kicks;

	struct work_struct rx_work;
	struct vringh_mmiov riov;
	struct vringh_mmiovec rvec[VHOST_RPMSG_IOV];
	u8 rx_buf[VHOST_RPMSG_BUF_SIZE];

	struct idr endpoints;
	struct mutex endpoints_lock;	/* @endpoints */
	struct mutex channels_lock;	/* channel creation and removal */
	unsigned int nr_remote;
	bool removing;
	struct rpmsg_device *ctrl;
	struct rpmsg_device *ns;
	struct work_struct announce_work;

	atomic64_t stats[VHOST_RPMSG_NR_STATS];
};

/**
 * struct vhost_rpmsg_channel - an rpmsg device on this host
 * @rpdev: the rpmsg device.
 * @vrp: the vhost-rpmsg device it belongs to.
 * @core: the rpmsg_ctrl or name service device, which only the removal
 *	of the vhost-rpmsg device removes.
 * @remote: created by an announcement of the frontend; removed when the
 *	frontend resets the device.
 * @configfs: created through configfs.
 * @chinfo: what configfs created it with; the rpmsg core replaces the
 *	source address with its endpoint's when a driver binds.
 * @registered: not unregistered yet; protected by
 *	&vhost_rpmsg.channels_lock.
 */
struct vhost_rpmsg_channel {
	struct rpmsg_device rpdev;
	struct vhost_rpmsg *vrp;
	bool core;
	bool remote;
	bool configfs;
	bool registered;
	struct rpmsg_channel_info chinfo;
};

#define to_vhost_rpmsg_channel(d) \
	container_of(d, struct vhost_rpmsg_channel, rpdev)

static struct workqueue_struct *vhost_rpmsg_wq;

static const struct rpmsg_endpoint_ops vhost_rpmsg_endpoint_ops;
static const struct rpmsg_device_ops vhost_rpmsg_device_ops;

static void vhost_rpmsg_ept_release(struct kref *kref)
{
	kfree(container_of(kref, struct rpmsg_endpoint, refcount));
}

/* --- the rings ------------------------------------------------------------ */

/*
 * Copy up to @len bytes between @buf and the chain behind @iov, from where
 * @iov stands. Returns the bytes copied, fewer than @len only when the
 * chain ends, or -errno.
 */
static ssize_t vhost_rpmsg_copy(struct vhost_bus_device *vdev,
				struct vringh_mmiov *iov, void *buf,
				size_t len, bool to_frontend)
{
	size_t done = 0;
	int err;

	while (done < len && iov->i < iov->used) {
		struct vringh_mmiovec *v = &iov->iov[iov->i];
		size_t n = min(len - done, v->len - iov->consumed);
		u64 addr = v->addr + iov->consumed;

		if (n) {
			if (to_frontend)
				err = vhost_write(vdev, addr, buf + done, n);
			else
				err = vhost_read(vdev, buf + done, addr, n);
			if (err)
				return err;
		}
		done += n;
		iov->consumed += n;
		if (iov->consumed == v->len) {
			iov->consumed = 0;
			iov->i++;
		}
	}
	return done;
}

/*
 * Take the next chain of @vq. Returns 1 with a chain, 0 if there is none
 * (notifications are then enabled), or -errno: -EBADMSG for a chain that
 * was bad and went back empty, -ENOMEM for one that is left on the ring,
 * another one for a broken ring (the device is then NEEDS_RESET) or a reset
 * under way.
 */
static int vhost_rpmsg_getdesc(struct vhost_rpmsg *vrp,
			       struct vhost_bus_vq *vq,
			       struct vringh_mmiov *riov,
			       struct vringh_mmiov *wiov, u16 *head)
{
	unsigned int tries;
	int ret;

	for (tries = 0; ; tries++) {
		ret = vhost_bus_vq_getdesc(vq, riov, wiov, head, GFP_KERNEL);
		if (ret > 0 || ret == -ENOTCONN)
			return ret;
		if (ret == -ENOMEM && *head != vq->vrh.vring.num) {
			vringh_abandon_mmio(&vq->vrh, 1);
			return ret;
		}
		if (ret < 0) {
			if (*head == vq->vrh.vring.num) {
				WRITE_ONCE(vrp->broken, true);
				wake_up_all(&vrp->sendq);
				return ret;
			}
			atomic64_inc(&vrp->stats[VHOST_RPMSG_STAT_BAD_CHAINS]);
			vringh_complete_mmio(&vq->vrh, *head, 0);
			return -EBADMSG;
		}
		/*
		 * Empty: wait for a kick, unless one is due. An index that
		 * moves back and forth is not followed for ever.
		 */
		if (vringh_notify_enable_mmio(&vq->vrh) || tries)
			return 0;
		vringh_notify_disable_mmio(&vq->vrh);
	}
}

static void vhost_rpmsg_notify(struct vhost_bus_vq *vq)
{
	if (vringh_need_notify_mmio(&vq->vrh) > 0)
		vhost_bus_vq_notify(vq);
}

static bool vhost_rpmsg_up(struct vhost_rpmsg *vrp)
{
	return READ_ONCE(vrp->running) && !READ_ONCE(vrp->broken);
}

/*
 * Write one message into a buffer of the frontend's input queue, with
 * &vhost_rpmsg.tx_lock held. Returns 0, -EAGAIN when the frontend has no
 * buffer, or -errno.
 */
static int vhost_rpmsg_put(struct vhost_rpmsg *vrp,
			   const struct vhost_rpmsg_hdr *hdr,
			   const void *data, unsigned int len)
{
	struct vhost_bus_vq *vq = vrp->inputq;
	unsigned int tries;
	ssize_t n;
	u16 head;
	int ret;

	/* A ring full of bad chains is gone through once, not forever. */
	for (tries = 0; ; tries++) {
		if (!vhost_rpmsg_up(vrp))
			return -ENOTCONN;
		ret = vhost_rpmsg_getdesc(vrp, vq, NULL, &vrp->wiov, &head);
		if (ret > 0)
			break;
		if (ret == 0)
			return -EAGAIN;
		if (ret != -EBADMSG)
			return ret;
		/* The bad chain went back empty: say so. */
		vhost_rpmsg_notify(vq);
		if (tries >= vq->vrh.vring.num)
			return -EIO;
	}

	if (vringh_mmiov_length(&vrp->wiov) < sizeof(*hdr) + len) {
		/* It may do for a shorter message: the frontend's again. */
		vringh_abandon_mmio(&vq->vrh, 1);
		dev_warn_ratelimited(&vrp->vdev->dev,
				     "input buffer of %zu bytes too short for a message of %u\n",
				     vringh_mmiov_length(&vrp->wiov), len);
		return -EMSGSIZE;
	}

	n = vhost_rpmsg_copy(vrp->vdev, &vrp->wiov, (void *)hdr, sizeof(*hdr),
			     true);
	if (n >= 0)
		n = vhost_rpmsg_copy(vrp->vdev, &vrp->wiov, (void *)data, len,
				     true);
	if (n < 0) {
		/* Nothing was said: the buffer is the frontend's again. */
		vringh_abandon_mmio(&vq->vrh, 1);
		return n;
	}

	ret = vringh_complete_mmio(&vq->vrh, head, sizeof(*hdr) + len);
	if (ret)
		return ret;
	atomic64_inc(&vrp->stats[VHOST_RPMSG_STAT_TX]);
	vhost_rpmsg_notify(vq);
	return 0;
}

/* Has the frontend given buffers since @kicks, or stopped? */
static bool vhost_rpmsg_send_ready(struct vhost_rpmsg *vrp, int kicks)
{
	return atomic_read(&vrp->input_kicks) != kicks || !vhost_rpmsg_up(vrp);
}

static int vhost_rpmsg_send_raw(struct vhost_rpmsg *vrp, u32 src, u32 dst,
				void *data, int len, bool wait)
{
	struct vhost_rpmsg_hdr hdr = {
		.src = cpu_to_le32(src),
		.dst = cpu_to_le32(dst),
		.len = cpu_to_le16(len),
	};
	long timeout = VHOST_RPMSG_SEND_TIMEOUT;
	int kicks, ret;

	if (src == RPMSG_ADDR_ANY || dst == RPMSG_ADDR_ANY)
		return -EINVAL;
	if (len < 0 || len > VHOST_RPMSG_MAX_PAYLOAD)
		return -EMSGSIZE;

	for (;;) {
		kicks = atomic_read(&vrp->input_kicks);
		mutex_lock(&vrp->tx_lock);
		ret = vhost_rpmsg_put(vrp, &hdr, data, len);
		mutex_unlock(&vrp->tx_lock);
		if (ret != -EAGAIN)
			return ret;
		/* As virtio_rpmsg_bus: no buffer is -ENOMEM without waiting. */
		if (!wait)
			return -ENOMEM;
		if (!timeout)
			return -ETIMEDOUT;
		timeout = wait_event_interruptible_timeout(vrp->sendq,
							   vhost_rpmsg_send_ready(vrp, kicks),
							   timeout);
		if (timeout < 0)
			return timeout;
	}
}

/* Deliver the message in &vhost_rpmsg.rx_buf to its endpoint. */
static void vhost_rpmsg_deliver(struct vhost_rpmsg *vrp, size_t len)
{
	struct vhost_rpmsg_hdr *hdr = (void *)vrp->rx_buf;
	unsigned int msg_len = le16_to_cpu(hdr->len);
	u32 dst = le32_to_cpu(hdr->dst);
	struct rpmsg_endpoint *ept;

	if (len < sizeof(*hdr)) {
		atomic64_inc(&vrp->stats[VHOST_RPMSG_STAT_RX_MALFORMED]);
		dev_warn_ratelimited(&vrp->vdev->dev,
				     "message of %zu bytes, shorter than its header: dropped\n",
				     len);
		return;
	}
	if (msg_len > len - sizeof(*hdr)) {
		atomic64_inc(&vrp->stats[VHOST_RPMSG_STAT_RX_MALFORMED]);
		dev_warn_ratelimited(&vrp->vdev->dev,
				     "message of %zu bytes says its payload is %u bytes: dropped\n",
				     len, msg_len);
		return;
	}

	mutex_lock(&vrp->endpoints_lock);
	ept = idr_find(&vrp->endpoints, dst);
	if (ept)
		kref_get(&ept->refcount);
	mutex_unlock(&vrp->endpoints_lock);

	if (!ept) {
		atomic64_inc(&vrp->stats[VHOST_RPMSG_STAT_RX_UNROUTED]);
		dev_dbg_ratelimited(&vrp->vdev->dev,
				    "message for 0x%x: no endpoint\n", dst);
		return;
	}

	atomic64_inc(&vrp->stats[VHOST_RPMSG_STAT_RX]);
	mutex_lock(&ept->cb_lock);
	if (ept->cb)
		ept->cb(ept->rpdev, hdr->data, msg_len, ept->priv,
			le32_to_cpu(hdr->src));
	mutex_unlock(&ept->cb_lock);
	kref_put(&ept->refcount, vhost_rpmsg_ept_release);
}

/*
 * Take the frontend's messages. Each buffer goes back before its message
 * is delivered, since the endpoint's callback may sleep or send.
 */
static void vhost_rpmsg_rx_work(struct work_struct *work)
{
	struct vhost_rpmsg *vrp = container_of(work, struct vhost_rpmsg,
					       rx_work);
	struct vhost_bus_vq *vq = vrp->outputq;
	int budget;

	for (budget = VHOST_RPMSG_BATCH; budget; budget--) {
		size_t over;
		ssize_t len;
		u16 head;
		int ret;

		if (!vhost_rpmsg_up(vrp))
			return;
		ret = vhost_rpmsg_getdesc(vrp, vq, &vrp->riov, NULL, &head);
		if (ret == -EBADMSG) {
			vhost_rpmsg_notify(vq);
			continue;
		}
		if (ret == -ENOMEM)
			break;
		if (ret <= 0)
			return;

		len = vhost_rpmsg_copy(vrp->vdev, &vrp->riov, vrp->rx_buf,
				       sizeof(vrp->rx_buf), false);
		if (len == -ENOTCONN) {
			vringh_abandon_mmio(&vq->vrh, 1);
			return;
		}
		/* What is left of the chain: a message longer than a buffer. */
		over = len < 0 ? 0 : vringh_mmiov_length(&vrp->riov);
		vringh_complete_mmio(&vq->vrh, head, 0);
		vhost_rpmsg_notify(vq);
		if (len < 0 || over) {
			atomic64_inc(&vrp->stats[VHOST_RPMSG_STAT_RX_MALFORMED]);
			if (over)
				dev_warn_ratelimited(&vrp->vdev->dev,
						     "message of %zu bytes, longer than a buffer of %zu: dropped\n",
						     len + over, sizeof(vrp->rx_buf));
			continue;
		}
		vhost_rpmsg_deliver(vrp, len);
	}
	queue_work(vhost_rpmsg_wq, &vrp->rx_work);
}

/* Interrupts are disabled: only wake and schedule. */
static void vhost_rpmsg_kick(struct vhost_bus_vq *vq)
{
	struct vhost_rpmsg *vrp = vhost_get_drvdata(vq->vdev);

	if (vq == vrp->inputq) {
		atomic_inc(&vrp->input_kicks);
		wake_up_all(&vrp->sendq);
	} else {
		queue_work(vhost_rpmsg_wq, &vrp->rx_work);
	}
}

/* --- endpoints ------------------------------------------------------------ */

static struct rpmsg_endpoint *
vhost_rpmsg_create_ept(struct rpmsg_device *rpdev, rpmsg_rx_cb_t cb,
		       void *priv, struct rpmsg_channel_info chinfo)
{
	struct vhost_rpmsg *vrp = to_vhost_rpmsg_channel(rpdev)->vrp;
	struct rpmsg_endpoint *ept;
	int id_min = chinfo.src, id_max = chinfo.src + 1, id;

	if (chinfo.src == RPMSG_ADDR_ANY) {
		id_min = VHOST_RPMSG_RESERVED_ADDRESSES;
		id_max = 0;
	} else if (chinfo.src > INT_MAX) {
		return NULL;
	}

	ept = kzalloc(sizeof(*ept), GFP_KERNEL);
	if (!ept)
		return NULL;
	kref_init(&ept->refcount);
	mutex_init(&ept->cb_lock);
	ept->rpdev = rpdev;
	ept->cb = cb;
	ept->priv = priv;
	ept->ops = &vhost_rpmsg_endpoint_ops;

	mutex_lock(&vrp->endpoints_lock);
	id = idr_alloc(&vrp->endpoints, ept, id_min, id_max, GFP_KERNEL);
	mutex_unlock(&vrp->endpoints_lock);
	if (id < 0) {
		dev_err(&rpdev->dev, "address 0x%x: %s\n", chinfo.src,
			id == -ENOSPC ? "in use" : "cannot allocate");
		kfree(ept);
		return NULL;
	}
	ept->addr = id;
	return ept;
}

static void vhost_rpmsg_destroy_ept(struct rpmsg_endpoint *ept)
{
	struct vhost_rpmsg *vrp = to_vhost_rpmsg_channel(ept->rpdev)->vrp;

	mutex_lock(&vrp->endpoints_lock);
	idr_remove(&vrp->endpoints, ept->addr);
	mutex_unlock(&vrp->endpoints_lock);

	/* A message being delivered finishes first. */
	mutex_lock(&ept->cb_lock);
	ept->cb = NULL;
	mutex_unlock(&ept->cb_lock);

	kref_put(&ept->refcount, vhost_rpmsg_ept_release);
}

static struct vhost_rpmsg *vhost_rpmsg_of_ept(struct rpmsg_endpoint *ept)
{
	return to_vhost_rpmsg_channel(ept->rpdev)->vrp;
}

static int vhost_rpmsg_send(struct rpmsg_endpoint *ept, void *data, int len)
{
	return vhost_rpmsg_send_raw(vhost_rpmsg_of_ept(ept), ept->addr,
				    ept->rpdev->dst, data, len, true);
}

static int vhost_rpmsg_sendto(struct rpmsg_endpoint *ept, void *data, int len,
			      u32 dst)
{
	return vhost_rpmsg_send_raw(vhost_rpmsg_of_ept(ept), ept->addr, dst,
				    data, len, true);
}

static int vhost_rpmsg_send_offchannel(struct rpmsg_endpoint *ept, u32 src,
				       u32 dst, void *data, int len)
{
	return vhost_rpmsg_send_raw(vhost_rpmsg_of_ept(ept), src, dst, data,
				    len, true);
}

static int vhost_rpmsg_trysend(struct rpmsg_endpoint *ept, void *data, int len)
{
	return vhost_rpmsg_send_raw(vhost_rpmsg_of_ept(ept), ept->addr,
				    ept->rpdev->dst, data, len, false);
}

static int vhost_rpmsg_trysendto(struct rpmsg_endpoint *ept, void *data,
				 int len, u32 dst)
{
	return vhost_rpmsg_send_raw(vhost_rpmsg_of_ept(ept), ept->addr, dst,
				    data, len, false);
}

static int vhost_rpmsg_trysend_offchannel(struct rpmsg_endpoint *ept,
					  u32 src, u32 dst, void *data,
					  int len)
{
	return vhost_rpmsg_send_raw(vhost_rpmsg_of_ept(ept), src, dst, data,
				    len, false);
}

/*
 * Would a send take a buffer now, or fail at once? Looking for a buffer
 * enables the kick that wakes the poller when there is none.
 */
static __poll_t vhost_rpmsg_poll(struct rpmsg_endpoint *ept,
				 struct file *filp, poll_table *wait)
{
	struct vhost_rpmsg *vrp = vhost_rpmsg_of_ept(ept);
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;
	u16 head;
	int ret;

	poll_wait(filp, &vrp->sendq, wait);

	mutex_lock(&vrp->tx_lock);
	if (vhost_rpmsg_up(vrp)) {
		ret = vhost_rpmsg_getdesc(vrp, vrp->inputq, NULL, &vrp->wiov,
					  &head);
		if (ret > 0)
			vringh_abandon_mmio(&vrp->inputq->vrh, 1);
		else if (ret == -EBADMSG)
			vhost_rpmsg_notify(vrp->inputq);
		else if (!ret)
			mask = 0;
	}
	mutex_unlock(&vrp->tx_lock);
	return mask;
}

static ssize_t vhost_rpmsg_get_mtu(struct rpmsg_endpoint *ept)
{
	return VHOST_RPMSG_MAX_PAYLOAD;
}

static const struct rpmsg_endpoint_ops vhost_rpmsg_endpoint_ops = {
	.destroy_ept		= vhost_rpmsg_destroy_ept,
	.send			= vhost_rpmsg_send,
	.sendto			= vhost_rpmsg_sendto,
	.send_offchannel	= vhost_rpmsg_send_offchannel,
	.trysend		= vhost_rpmsg_trysend,
	.trysendto		= vhost_rpmsg_trysendto,
	.trysend_offchannel	= vhost_rpmsg_trysend_offchannel,
	.poll			= vhost_rpmsg_poll,
	.get_mtu		= vhost_rpmsg_get_mtu,
};

/* --- channels ------------------------------------------------------------- */

static void vhost_rpmsg_release_device(struct device *dev)
{
	kfree(to_vhost_rpmsg_channel(to_rpmsg_device(dev)));
}

static struct vhost_rpmsg_channel *vhost_rpmsg_alloc_channel(struct vhost_rpmsg *vrp)
{
	struct vhost_rpmsg_channel *vch = kzalloc(sizeof(*vch), GFP_KERNEL);

	if (!vch)
		return NULL;
	vch->vrp = vrp;
	vch->rpdev.ops = &vhost_rpmsg_device_ops;
	vch->rpdev.little_endian = true;
	vch->rpdev.dev.parent = &vrp->vdev->dev;
	vch->rpdev.dev.release = vhost_rpmsg_release_device;
	return vch;
}

/*
 * Register a channel. Returns it, ERR_PTR(-EEXIST) if one with the same
 * name and addresses is there, or another ERR_PTR().
 */
static struct rpmsg_device *
vhost_rpmsg_add_channel(struct vhost_rpmsg *vrp,
			const struct rpmsg_channel_info *chinfo, bool remote,
			bool configfs)
{
	struct vhost_rpmsg_channel *vch;
	struct device *dup;
	int err;

	mutex_lock(&vrp->channels_lock);
	if (vrp->removing) {
		err = -ENODEV;
		goto err_unlock;
	}
	dup = rpmsg_find_device(&vrp->vdev->dev,
				(struct rpmsg_channel_info *)chinfo);
	if (dup) {
		put_device(dup);
		err = -EEXIST;
		goto err_unlock;
	}
	if (remote && vrp->nr_remote >= VHOST_RPMSG_MAX_REMOTE) {
		err = -ENOSPC;
		goto err_unlock;
	}
	vch = vhost_rpmsg_alloc_channel(vrp);
	if (!vch) {
		err = -ENOMEM;
		goto err_unlock;
	}
	if (remote)
		vrp->nr_remote++;
	vch->remote = remote;
	vch->configfs = configfs;
	vch->chinfo = *chinfo;
	vch->rpdev.src = chinfo->src;
	vch->rpdev.dst = chinfo->dst;
	/* A channel with an address of its own is announced to the frontend. */
	vch->rpdev.announce = chinfo->src != RPMSG_ADDR_ANY;
	strscpy(vch->rpdev.id.name, chinfo->name, sizeof(vch->rpdev.id.name));
	vch->registered = true;
	/* Drivers probe here, and their announcements may wait for buffers. */
	err = rpmsg_register_device(&vch->rpdev);
	if (err) {
		/* rpmsg_register_device() dropped the device. */
		if (remote)
			vrp->nr_remote--;
		mutex_unlock(&vrp->channels_lock);
		return ERR_PTR(err);
	}
	mutex_unlock(&vrp->channels_lock);
	return &vch->rpdev;

err_unlock:
	mutex_unlock(&vrp->channels_lock);
	return ERR_PTR(err);
}

/* Unregister a channel once, whoever asks first. */
static void vhost_rpmsg_unregister(struct vhost_rpmsg_channel *vch)
{
	struct vhost_rpmsg *vrp = vch->vrp;
	bool registered;

	mutex_lock(&vrp->channels_lock);
	registered = vch->registered;
	vch->registered = false;
	if (registered && vch->remote)
		vrp->nr_remote--;
	mutex_unlock(&vrp->channels_lock);
	if (registered)
		device_unregister(&vch->rpdev.dev);
}

static struct rpmsg_device *
vhost_rpmsg_create_channel(struct rpmsg_device *rpdev,
			   struct rpmsg_channel_info *chinfo)
{
	struct vhost_rpmsg *vrp = to_vhost_rpmsg_channel(rpdev)->vrp;
	struct rpmsg_device *ch;

	/* The name service creates the channels the frontend announces. */
	ch = vhost_rpmsg_add_channel(vrp, chinfo, rpdev == vrp->ns, false);
	if (IS_ERR(ch)) {
		dev_err_ratelimited(&vrp->vdev->dev,
				    "channel %s 0x%x -> 0x%x: %pe\n",
				    chinfo->name, chinfo->src, chinfo->dst, ch);
		return NULL;
	}
	return ch;
}

static struct vhost_rpmsg_channel *
vhost_rpmsg_find_channel(struct vhost_rpmsg *vrp,
			 struct rpmsg_channel_info *chinfo)
{
	struct device *dev = rpmsg_find_device(&vrp->vdev->dev, chinfo);

	return dev ? to_vhost_rpmsg_channel(to_rpmsg_device(dev)) : NULL;
}

static int vhost_rpmsg_release_channel(struct rpmsg_device *rpdev,
				       struct rpmsg_channel_info *chinfo)
{
	struct vhost_rpmsg *vrp = to_vhost_rpmsg_channel(rpdev)->vrp;
	struct vhost_rpmsg_channel *vch;
	int err = 0;

	vch = vhost_rpmsg_find_channel(vrp, chinfo);
	if (!vch)
		return -EINVAL;
	/*
	 * rpmsg_ctrl and the name service go with the device only, and the
	 * frontend's announcements remove only the channels they created.
	 */
	if (vch->core || (rpdev == vrp->ns && !vch->remote))
		err = -EPERM;
	else
		vhost_rpmsg_unregister(vch);
	put_device(&vch->rpdev.dev);
	return err;
}

static int vhost_rpmsg_announce(struct rpmsg_device *rpdev, u32 flags)
{
	struct vhost_rpmsg *vrp = to_vhost_rpmsg_channel(rpdev)->vrp;
	struct rpmsg_ns_msg nsm = {};
	int err;

	if (!rpdev->announce || !rpdev->ept ||
	    !vhost_bus_has_feature(vrp->vdev, VHOST_RPMSG_F_NS))
		return 0;

	strscpy_pad(nsm.name, rpdev->id.name, sizeof(nsm.name));
	nsm.addr = cpu_to_rpmsg32(rpdev, rpdev->ept->addr);
	nsm.flags = cpu_to_rpmsg32(rpdev, flags);
	err = vhost_rpmsg_send_raw(vrp, rpdev->ept->addr, RPMSG_NS_ADDR, &nsm,
				   sizeof(nsm), true);
	/* Without a frontend now, the channel is announced when one comes. */
	if (err && err != -ENOTCONN)
		dev_err_ratelimited(&rpdev->dev, "cannot announce %s: %d\n",
				    rpdev->id.name, err);
	return 0;
}

static int vhost_rpmsg_announce_create(struct rpmsg_device *rpdev)
{
	return vhost_rpmsg_announce(rpdev, RPMSG_NS_CREATE);
}

static int vhost_rpmsg_announce_destroy(struct rpmsg_device *rpdev)
{
	return vhost_rpmsg_announce(rpdev, RPMSG_NS_DESTROY);
}

static const struct rpmsg_device_ops vhost_rpmsg_device_ops = {
	.create_channel		= vhost_rpmsg_create_channel,
	.release_channel	= vhost_rpmsg_release_channel,
	.create_ept		= vhost_rpmsg_create_ept,
	.announce_create	= vhost_rpmsg_announce_create,
	.announce_destroy	= vhost_rpmsg_announce_destroy,
};

static int vhost_rpmsg_announce_one(struct device *dev, void *data)
{
	struct rpmsg_device *rpdev = to_rpmsg_device(dev);

	if (to_vhost_rpmsg_channel(rpdev)->remote)
		return 0;
	/* Only a bound channel has an endpoint, until its driver goes. */
	device_lock(dev);
	if (dev->driver)
		vhost_rpmsg_announce_create(rpdev);
	device_unlock(dev);
	return 0;
}

/* The frontend started: tell it about the channels of this host. */
static void vhost_rpmsg_announce_work(struct work_struct *work)
{
	struct vhost_rpmsg *vrp = container_of(work, struct vhost_rpmsg,
					       announce_work);

	device_for_each_child(&vrp->vdev->dev, NULL, vhost_rpmsg_announce_one);
}

static int vhost_rpmsg_remove_remote(struct device *dev, void *data)
{
	struct vhost_rpmsg_channel *vch =
		to_vhost_rpmsg_channel(to_rpmsg_device(dev));

	if (vch->remote)
		vhost_rpmsg_unregister(vch);
	return 0;
}

static int vhost_rpmsg_remove_any(struct device *dev, void *data)
{
	struct vhost_rpmsg_channel *vch =
		to_vhost_rpmsg_channel(to_rpmsg_device(dev));

	if (!vch->core)
		vhost_rpmsg_unregister(vch);
	return 0;
}

/* Register rpmsg_ctrl or the name service device, as @register does. */
static struct rpmsg_device *
vhost_rpmsg_add_core(struct vhost_rpmsg *vrp,
		     int (*register_device)(struct rpmsg_device *rpdev))
{
	struct vhost_rpmsg_channel *vch = vhost_rpmsg_alloc_channel(vrp);
	int err;

	if (!vch)
		return ERR_PTR(-ENOMEM);
	vch->core = true;
	vch->registered = true;
	err = register_device(&vch->rpdev);
	if (err)
		return ERR_PTR(err);
	return &vch->rpdev;
}

/* --- the vhost bus client ------------------------------------------------- */

static void vhost_rpmsg_stop(struct vhost_rpmsg *vrp)
{
	mutex_lock(&vrp->tx_lock);
	WRITE_ONCE(vrp->running, false);
	mutex_unlock(&vrp->tx_lock);
	wake_up_all(&vrp->sendq);
	cancel_work_sync(&vrp->announce_work);
	cancel_work_sync(&vrp->rx_work);
}

static int vhost_rpmsg_event(struct vhost_bus_device *vdev,
			     enum vhost_bus_event event)
{
	struct vhost_rpmsg *vrp = vhost_get_drvdata(vdev);

	switch (event) {
	case VHOST_BUS_EVENT_DRIVER_OK:
		WRITE_ONCE(vrp->broken, false);
		WRITE_ONCE(vrp->running, true);
		/* Messages may have been sent before DRIVER_OK. */
		queue_work(vhost_rpmsg_wq, &vrp->rx_work);
		queue_work(vhost_rpmsg_wq, &vrp->announce_work);
		break;
	case VHOST_BUS_EVENT_RESET:
		vhost_rpmsg_stop(vrp);
		/* The frontend's channels are gone with its endpoints. */
		device_for_each_child(&vdev->dev, NULL,
				      vhost_rpmsg_remove_remote);
		break;
	case VHOST_BUS_EVENT_FEATURES_OK:
	case VHOST_BUS_EVENT_STATUS:
		break;
	}
	return 0;
}

static void vhost_rpmsg_free(struct vhost_rpmsg *vrp)
{
	idr_destroy(&vrp->endpoints);
	vringh_mmiov_cleanup(&vrp->riov);
	vringh_mmiov_cleanup(&vrp->wiov);
	kfree(vrp);
}

static int vhost_rpmsg_probe(struct vhost_bus_device *vdev)
{
	static const struct vhost_bus_vq_info info[VHOST_RPMSG_NUM_QUEUES] = {
		[VHOST_RPMSG_INPUTQ] = { "input", vhost_rpmsg_kick },
		[VHOST_RPMSG_OUTPUTQ] = { "output", vhost_rpmsg_kick },
	};
	struct vhost_rpmsg *vrp;
	int err;

	vrp = kzalloc(sizeof(*vrp), GFP_KERNEL);
	if (!vrp)
		return -ENOMEM;
	vrp->vdev = vdev;
	mutex_init(&vrp->tx_lock);
	mutex_init(&vrp->endpoints_lock);
	mutex_init(&vrp->channels_lock);
	init_waitqueue_head(&vrp->sendq);
	idr_init(&vrp->endpoints);
	INIT_WORK(&vrp->rx_work, vhost_rpmsg_rx_work);
	INIT_WORK(&vrp->announce_work, vhost_rpmsg_announce_work);
	vringh_mmiov_init(&vrp->riov, vrp->rvec, ARRAY_SIZE(vrp->rvec));
	vringh_mmiov_init(&vrp->wiov, vrp->wvec, ARRAY_SIZE(vrp->wvec));
	vhost_set_drvdata(vdev, vrp);

	err = vhost_set_features(vdev, BIT_ULL(VHOST_RPMSG_F_NS));
	if (err)
		goto err_free;
	err = vhost_create_vqs(vdev, VHOST_RPMSG_NUM_QUEUES, vrp->vqs, info);
	if (err)
		goto err_free;
	vrp->inputq = vrp->vqs[VHOST_RPMSG_INPUTQ];
	vrp->outputq = vrp->vqs[VHOST_RPMSG_OUTPUTQ];

	vrp->ctrl = vhost_rpmsg_add_core(vrp, rpmsg_ctrldev_register_device);
	if (IS_ERR(vrp->ctrl)) {
		err = PTR_ERR(vrp->ctrl);
		goto err_free;
	}
	vrp->ns = vhost_rpmsg_add_core(vrp, rpmsg_ns_register_device);
	if (IS_ERR(vrp->ns)) {
		err = PTR_ERR(vrp->ns);
		goto err_ctrl;
	}
	return 0;

err_ctrl:
	device_unregister(&vrp->ctrl->dev);
err_free:
	vhost_rpmsg_free(vrp);
	return err;
}

static void vhost_rpmsg_remove(struct vhost_bus_device *vdev)
{
	struct vhost_rpmsg *vrp = vhost_get_drvdata(vdev);

	/* The core stopped the rings already: sends fail at once. */
	vhost_rpmsg_stop(vrp);
	mutex_lock(&vrp->channels_lock);
	vrp->removing = true;
	mutex_unlock(&vrp->channels_lock);
	/* rpmsg_ctrl first: its ioctls create channels. */
	device_unregister(&vrp->ctrl->dev);
	device_for_each_child(&vdev->dev, NULL, vhost_rpmsg_remove_any);
	device_unregister(&vrp->ns->dev);
	vhost_rpmsg_free(vrp);
}

/* --- configfs settings ---------------------------------------------------- */

/*
 * "NAME SRC DST": a name of up to 31 characters and two addresses, each a
 * number or -1 for RPMSG_ADDR_ANY.
 */
static int vhost_rpmsg_parse(struct vhost_bus_device *vdev, const char *attr,
			     const char *page, size_t len,
			     struct rpmsg_channel_info *chinfo)
{
	char name[RPMSG_NAME_SIZE + 1], src[12], dst[12], extra;
	int n;

	if (len >= PAGE_SIZE)
		goto err;
	n = sscanf(page, "%32s %11s %11s %c", name, src, dst, &extra);
	if (n != 3 || strlen(name) >= RPMSG_NAME_SIZE)
		goto err;
	strscpy_pad(chinfo->name, name, sizeof(chinfo->name));
	if (!strcmp(src, "-1"))
		chinfo->src = RPMSG_ADDR_ANY;
	else if (kstrtou32(src, 0, &chinfo->src))
		goto err;
	if (!strcmp(dst, "-1"))
		chinfo->dst = RPMSG_ADDR_ANY;
	else if (kstrtou32(dst, 0, &chinfo->dst))
		goto err;
	return 0;
err:
	dev_err(&vdev->dev,
		"%s: expected \"NAME SRC DST\", a name of up to %d characters and two addresses (-1 for any)\n",
		attr, RPMSG_NAME_SIZE - 1);
	return -EINVAL;
}

static ssize_t vhost_rpmsg_cfs_add_store(struct vhost_bus_device *vdev,
					 const char *page, size_t len)
{
	struct vhost_rpmsg *vrp = vhost_get_drvdata(vdev);
	struct rpmsg_channel_info chinfo;
	struct rpmsg_device *ch;
	int err;

	err = vhost_rpmsg_parse(vdev, "add_channel", page, len, &chinfo);
	if (err)
		return err;
	/* Address 53 is the name service's, and an endpoint's address an int. */
	if (chinfo.src == RPMSG_NS_ADDR ||
	    (chinfo.src != RPMSG_ADDR_ANY && chinfo.src > INT_MAX)) {
		dev_err(&vdev->dev,
			"add_channel: source address 0x%x is reserved\n",
			chinfo.src);
		return -EADDRINUSE;
	}
	ch = vhost_rpmsg_add_channel(vrp, &chinfo, false, true);
	if (IS_ERR(ch)) {
		dev_err(&vdev->dev, "add_channel: %s 0x%x -> 0x%x: %pe\n",
			chinfo.name, chinfo.src, chinfo.dst, ch);
		return PTR_ERR(ch);
	}
	return len;
}

static int vhost_rpmsg_match_configfs(struct device *dev, void *data)
{
	struct vhost_rpmsg_channel *vch =
		to_vhost_rpmsg_channel(to_rpmsg_device(dev));
	struct rpmsg_channel_info *chinfo = data;

	return vch->configfs && vch->chinfo.src == chinfo->src &&
	       vch->chinfo.dst == chinfo->dst &&
	       !strncmp(vch->chinfo.name, chinfo->name, RPMSG_NAME_SIZE);
}

/* The channel configfs added as @chinfo says, -1 matching only -1. */
static struct vhost_rpmsg_channel *
vhost_rpmsg_find_configfs(struct vhost_rpmsg *vrp,
			  struct rpmsg_channel_info *chinfo)
{
	struct device *dev = device_find_child(&vrp->vdev->dev, chinfo,
					       vhost_rpmsg_match_configfs);

	return dev ? to_vhost_rpmsg_channel(to_rpmsg_device(dev)) : NULL;
}

static ssize_t vhost_rpmsg_cfs_remove_store(struct vhost_bus_device *vdev,
					    const char *page, size_t len)
{
	struct vhost_rpmsg *vrp = vhost_get_drvdata(vdev);
	struct vhost_rpmsg_channel *vch;
	struct rpmsg_channel_info chinfo;
	int err;

	err = vhost_rpmsg_parse(vdev, "remove_channel", page, len, &chinfo);
	if (err)
		return err;
	vch = vhost_rpmsg_find_configfs(vrp, &chinfo);
	if (!vch) {
		dev_err(&vdev->dev,
			"remove_channel: no channel %s 0x%x -> 0x%x was added here\n",
			chinfo.name, chinfo.src, chinfo.dst);
		return -ENOENT;
	}
	vhost_rpmsg_unregister(vch);
	put_device(&vch->rpdev.dev);
	return len;
}

struct vhost_rpmsg_list {
	char *page;
	int len;
};

static int vhost_rpmsg_list_one(struct device *dev, void *data)
{
	struct vhost_rpmsg_channel *vch =
		to_vhost_rpmsg_channel(to_rpmsg_device(dev));
	struct vhost_rpmsg_list *l = data;
	char src[12] = "-1", dst[12] = "-1";

	if (!vch->configfs)
		return 0;
	if (vch->chinfo.src != RPMSG_ADDR_ANY)
		snprintf(src, sizeof(src), "%u", vch->chinfo.src);
	if (vch->chinfo.dst != RPMSG_ADDR_ANY)
		snprintf(dst, sizeof(dst), "%u", vch->chinfo.dst);
	l->len += sysfs_emit_at(l->page, l->len, "%s %s %s\n",
				vch->chinfo.name, src, dst);
	return 0;
}

static ssize_t vhost_rpmsg_cfs_channels_show(struct vhost_bus_device *vdev,
					     char *page)
{
	struct vhost_rpmsg_list l = { .page = page };

	device_for_each_child(&vdev->dev, &l, vhost_rpmsg_list_one);
	return l.len;
}

static const struct vhost_bus_client_attr vhost_rpmsg_cfs_attrs[] = {
	{ "add_channel", NULL, vhost_rpmsg_cfs_add_store },
	{ "remove_channel", NULL, vhost_rpmsg_cfs_remove_store },
	{ "channels", vhost_rpmsg_cfs_channels_show, NULL },
	{ }
};

/* --- sysfs counters ------------------------------------------------------- */

static ssize_t vhost_rpmsg_stat_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct vhost_rpmsg *vrp = dev_get_drvdata(dev);
	struct dev_ext_attribute *ea = container_of(attr,
						    struct dev_ext_attribute,
						    attr);
	unsigned long stat = (unsigned long)ea->var;

	return sysfs_emit(buf, "%lld\n", atomic64_read(&vrp->stats[stat]));
}

static struct dev_ext_attribute vhost_rpmsg_rx = {
	__ATTR(rx, 0444, vhost_rpmsg_stat_show, NULL),
	(void *)VHOST_RPMSG_STAT_RX
};

static struct dev_ext_attribute vhost_rpmsg_tx = {
	__ATTR(tx, 0444, vhost_rpmsg_stat_show, NULL),
	(void *)VHOST_RPMSG_STAT_TX
};

static struct dev_ext_attribute vhost_rpmsg_rx_malformed = {
	__ATTR(rx_malformed, 0444, vhost_rpmsg_stat_show, NULL),
	(void *)VHOST_RPMSG_STAT_RX_MALFORMED
};

static struct dev_ext_attribute vhost_rpmsg_rx_unrouted = {
	__ATTR(rx_unrouted, 0444, vhost_rpmsg_stat_show, NULL),
	(void *)VHOST_RPMSG_STAT_RX_UNROUTED
};

static struct dev_ext_attribute vhost_rpmsg_bad_chains = {
	__ATTR(bad_chains, 0444, vhost_rpmsg_stat_show, NULL),
	(void *)VHOST_RPMSG_STAT_BAD_CHAINS
};

static struct attribute *vhost_rpmsg_stat_attrs[] = {
	&vhost_rpmsg_rx.attr.attr,
	&vhost_rpmsg_tx.attr.attr,
	&vhost_rpmsg_rx_malformed.attr.attr,
	&vhost_rpmsg_rx_unrouted.attr.attr,
	&vhost_rpmsg_bad_chains.attr.attr,
	NULL
};

static const struct attribute_group vhost_rpmsg_stat_group = {
	.name	= "rpmsg",
	.attrs	= vhost_rpmsg_stat_attrs,
};
__ATTRIBUTE_GROUPS(vhost_rpmsg_stat);

static const struct vhost_bus_device_id vhost_rpmsg_ids[] = {
	{ VIRTIO_ID_RPMSG, VHOST_BUS_DEV_ANY_ID },
	{ }
};
MODULE_DEVICE_TABLE(vhost_bus, vhost_rpmsg_ids);

static struct vhost_bus_driver vhost_rpmsg_driver = {
	.driver.name		= KBUILD_MODNAME,
	.driver.dev_groups	= vhost_rpmsg_stat_groups,
	.id_table		= vhost_rpmsg_ids,
	.probe			= vhost_rpmsg_probe,
	.remove			= vhost_rpmsg_remove,
	.event			= vhost_rpmsg_event,
	.cfs_attrs		= vhost_rpmsg_cfs_attrs,
};

static int __init vhost_rpmsg_init(void)
{
	int err;

	vhost_rpmsg_wq = alloc_workqueue(KBUILD_MODNAME,
					 WQ_UNBOUND | WQ_HIGHPRI, 0);
	if (!vhost_rpmsg_wq)
		return -ENOMEM;
	err = vhost_register_driver(&vhost_rpmsg_driver);
	if (err)
		destroy_workqueue(vhost_rpmsg_wq);
	return err;
}
module_init(vhost_rpmsg_init);

static void __exit vhost_rpmsg_exit(void)
{
	vhost_unregister_driver(&vhost_rpmsg_driver);
	destroy_workqueue(vhost_rpmsg_wq);
}
module_exit(vhost_rpmsg_exit);

MODULE_DESCRIPTION("The device side of virtio-rpmsg, on the vhost bus");
MODULE_LICENSE("GPL");
