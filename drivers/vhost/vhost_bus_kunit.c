// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the vhost bus and its configfs interface.
 *
 * A mock transport presents devices and records what the core asks of it;
 * mock clients bind to them and record the events they get; the tests play
 * the frontend by writing the device status the way a virtio driver does.
 * Transport calls and client callbacks are logged in order, so the tests
 * check the order as well as the outcome.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/configfs.h>
#include <linux/device.h>
#include <linux/align.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kobject.h>
#include <linux/kthread.h>
#include <linux/rcupdate.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vhost_bus.h>
#include <linux/virtio_byteorder.h>
#include <linux/vringh.h>
#include <uapi/linux/virtio_config.h>
#include <uapi/linux/virtio_ring.h>

#include "vhost_bus_cfs.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* Ids no real virtio device uses. */
#define MOCK_DEVICE_ID		0x7e57
#define MOCK_OTHER_ID		0x7e58
#define MOCK_UNKNOWN_ID		0x7e59
#define MOCK_VENDOR_ID		0x4b554e49
#define MOCK_CLIENT		"vhost_bus_kunit_client"
#define MOCK_OTHER_CLIENT	"vhost_bus_kunit_other"

#define MOCK_NUM_QUEUES		4
#define MOCK_QUEUE_SIZE		256
#define MOCK_MEM_SIZE		256
#define MOCK_RING_NUM		4
#define MOCK_MAX_PENDING	4

#define FE_ACK		VIRTIO_CONFIG_S_ACKNOWLEDGE
#define FE_DRIVER	(FE_ACK | VIRTIO_CONFIG_S_DRIVER)
#define FE_FEATURES_OK	(FE_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK)
#define FE_DRIVER_OK	(FE_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)
#define NEEDS_RESET	VIRTIO_CONFIG_S_NEEDS_RESET

#define V1		BIT_ULL(VIRTIO_F_VERSION_1)
#define F0		BIT_ULL(0)
#define F1		BIT_ULL(1)
#define F5		BIT_ULL(5)

/* The state of one test: what the mock client does, and what it saw. */
struct vb_ctx {
	struct device *parent;
	char log[256];
	bool quiet;
	bool atomic_transport;
	atomic_t kicks_not_live;
	unsigned int knob;

	u64 client_features;
	unsigned int client_nvqs;
	unsigned int client_size;
	int probe_err;
	int features_ok_err;
	int driver_ok_err;

	struct vhost_bus_vq *vqs[MOCK_NUM_QUEUES];
	unsigned int kicks[MOCK_NUM_QUEUES];
	u64 features_at_event;
	u8 status_at_event;
	bool ready_at_event;
	bool started_at_event;
};

/* A transport: records what the core publishes, plays frontend memory. */
struct mock_transport {
	struct vhost_bus_device vdev;
	struct vb_ctx *ctx;

	u64 offer;
	u64 driver_features;
	u8 status;
	u32 generation;
	unsigned int config_changes;
	unsigned int notifies;
	unsigned int xfers;
	unsigned int xfers_atomic;

	/* Transfers taken asynchronously, completed by mock_xfer_finish(). */
	bool async;
	unsigned int async_delay_ms;
	int async_err;
	const struct vhost_bus_xfer *pending[MOCK_MAX_PENDING];
	unsigned int nr_pending;
	struct delayed_work complete_work;

	int create_err;
	bool ready_at_driver_ok;
	bool del_done;
	u32 disabled_vqs;
	int start_err;
	unsigned int start_err_vq;

	u8 config[16];
	u8 mem[MOCK_MEM_SIZE];

	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
};

static __printf(2, 3) void vb_log(struct vb_ctx *ctx, const char *fmt, ...)
{
	size_t len = strlen(ctx->log);
	va_list args;

	/* Tests with a second thread check outcomes, not the order. */
	if (READ_ONCE(ctx->quiet))
		return;

	if (len && len < sizeof(ctx->log) - 1)
		ctx->log[len++] = ' ';
	va_start(args, fmt);
	vsnprintf(ctx->log + len, sizeof(ctx->log) - len, fmt, args);
	va_end(args);
}

static struct mock_transport *to_mock(struct vhost_bus_device *vdev)
{
	return container_of(vdev, struct mock_transport, vdev);
}

static int mock_create_vqs(struct vhost_bus_device *vdev, unsigned int nvqs,
			   struct vhost_bus_vq *vqs)
{
	struct mock_transport *mt = to_mock(vdev);
	unsigned int i;

	vb_log(mt->ctx, "create%u", nvqs);
	if (mt->create_err)
		return mt->create_err;
	for (i = 0; i < nvqs; i++)
		vqs[i].priv = mt;
	return 0;
}

static void mock_del_vqs(struct vhost_bus_device *vdev)
{
	struct mock_transport *mt = to_mock(vdev);

	vb_log(mt->ctx, "del");
	/* No new kick from here on; see vb_kick_vs_del_vqs(). */
	WRITE_ONCE(mt->del_done, true);
}

static int mock_start_vq(struct vhost_bus_vq *vq)
{
	struct mock_transport *mt = vq->priv;

	vb_log(mt->ctx, "start%u", vq->index);
	if (mt->disabled_vqs & BIT(vq->index))
		return -ENOENT;
	if (mt->start_err && mt->start_err_vq == vq->index)
		return mt->start_err;
	if (vq->index || !mt->desc)
		return 0;

	/* The mock window is plain memory, as in the vringh MMIO test. */
	return vringh_init_mmio(&vq->vrh, vhost_get_features(vq->vdev),
				MOCK_RING_NUM,
				(struct vring_desc __force __iomem *)mt->desc,
				(struct vring_avail __force __iomem *)mt->avail,
				(struct vring_used __force __iomem *)mt->used);
}

static void mock_stop_vq(struct vhost_bus_vq *vq)
{
	struct mock_transport *mt = vq->priv;

	vb_log(mt->ctx, "stop%u", vq->index);
}

/* The whole of mock frontend memory is reachable, nothing else. */
static bool mock_getrange(struct vhost_bus_vq *vq, u64 addr,
			  struct vringh_range *r)
{
	struct mock_transport *mt = vq->priv;

	if (addr >= MOCK_MEM_SIZE)
		return false;
	r->start = 0;
	r->end_incl = MOCK_MEM_SIZE - 1;
	r->offset = (u64)(uintptr_t)mt->mem;
	return true;
}

/* The copy itself, at once or when an asynchronous transfer completes. */
static int mock_copy(struct mock_transport *mt,
		     const struct vhost_bus_xfer *xfer)
{
	unsigned int i;

	for (i = 0; i < xfer->nr_segs; i++) {
		const struct vhost_bus_xfer_seg *seg = &xfer->segs[i];

		if (seg->addr >= MOCK_MEM_SIZE ||
		    seg->len > MOCK_MEM_SIZE - seg->addr)
			return -EFAULT;
		if (xfer->dir == VHOST_BUS_XFER_READ)
			memcpy(seg->buf, mt->mem + seg->addr, seg->len);
		else
			memcpy(mt->mem + seg->addr, seg->buf, seg->len);
	}
	return 0;
}

static int mock_xfer(struct vhost_bus_device *vdev,
		     const struct vhost_bus_xfer *xfer)
{
	struct mock_transport *mt = to_mock(vdev);

	mt->xfers++;
	/* What an atomic transport promises the core: it is called so. */
	if (in_softirq() || irqs_disabled())
		mt->xfers_atomic++;
	if (!mt->async)
		return mock_copy(mt, xfer);

	if (mt->nr_pending == MOCK_MAX_PENDING)
		return -EBUSY;
	mt->pending[mt->nr_pending++] = xfer;
	if (mt->async_delay_ms)
		schedule_delayed_work(&mt->complete_work,
				      msecs_to_jiffies(mt->async_delay_ms));
	return -EINPROGRESS;
}

/* The transport's completion: copy, or fail, pending transfer @i. */
static void mock_xfer_finish(struct mock_transport *mt, unsigned int i,
			     int err)
{
	const struct vhost_bus_xfer *xfer = mt->pending[i];

	mt->pending[i] = NULL;
	if (!err)
		err = mock_copy(mt, xfer);
	vhost_xfer_complete(&mt->vdev, xfer, err);
}

/* A DMA engine: completes everything pending, from a work item. */
static void mock_complete_work(struct work_struct *work)
{
	struct mock_transport *mt = container_of(to_delayed_work(work),
						 struct mock_transport,
						 complete_work);
	unsigned int i;

	for (i = 0; i < mt->nr_pending; i++)
		if (mt->pending[i])
			mock_xfer_finish(mt, i, mt->async_err);
	mt->nr_pending = 0;
}

static void mock_notify(struct vhost_bus_vq *vq)
{
	struct mock_transport *mt = vq->priv;

	mt->notifies++;
}

static void mock_set_features(struct vhost_bus_device *vdev, u64 features)
{
	to_mock(vdev)->offer = features;
}

static u64 mock_get_features(struct vhost_bus_device *vdev)
{
	return to_mock(vdev)->driver_features;
}

static void mock_set_status(struct vhost_bus_device *vdev, u8 status)
{
	struct mock_transport *mt = to_mock(vdev);
	unsigned int i;

	/* Could the frontend's kicks already reach a client taking chains? */
	if ((status & ~mt->status) & VIRTIO_CONFIG_S_DRIVER_OK)
		for (i = 0; i < vdev->nvqs; i++)
			mt->ready_at_driver_ok |= vhost_bus_vq_ready(&vdev->vqs[i]);
	mt->status = status;
}

static int mock_get_config(struct vhost_bus_device *vdev, unsigned int offset,
			   void *buf, unsigned int len)
{
	struct mock_transport *mt = to_mock(vdev);

	if (offset > sizeof(mt->config) || len > sizeof(mt->config) - offset)
		return -EINVAL;
	memcpy(buf, mt->config + offset, len);
	return 0;
}

static int mock_set_config(struct vhost_bus_device *vdev, unsigned int offset,
			   const void *buf, unsigned int len)
{
	struct mock_transport *mt = to_mock(vdev);

	if (offset > sizeof(mt->config) || len > sizeof(mt->config) - offset)
		return -EINVAL;
	memcpy(mt->config + offset, buf, len);
	return 0;
}

static void mock_config_changed(struct vhost_bus_device *vdev, u32 generation)
{
	struct mock_transport *mt = to_mock(vdev);

	mt->generation = generation;
	mt->config_changes++;
}

static void mock_enable(struct vhost_bus_device *vdev)
{
	vb_log(to_mock(vdev)->ctx, "enable");
}

static void mock_disable(struct vhost_bus_device *vdev)
{
	vb_log(to_mock(vdev)->ctx, "disable");
}

static const struct vhost_bus_config_ops mock_ops = {
	.create_vqs = mock_create_vqs,
	.del_vqs = mock_del_vqs,
	.start_vq = mock_start_vq,
	.stop_vq = mock_stop_vq,
	.getrange = mock_getrange,
	.xfer = mock_xfer,
	.notify = mock_notify,
	.set_features = mock_set_features,
	.get_features = mock_get_features,
	.set_status = mock_set_status,
	.get_config = mock_get_config,
	.set_config = mock_set_config,
	.config_changed = mock_config_changed,
	.enable = mock_enable,
	.disable = mock_disable,
};

KUNIT_DEFINE_ACTION_WRAPPER(mock_device_unregister, vhost_unregister_device,
			    struct vhost_bus_device *);

static struct mock_transport *mock_device_alloc(struct kunit *test,
						u32 device_id)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;

	mt = vhost_bus_alloc_device(struct mock_transport, vdev, ctx->parent,
				    &mock_ops);
	KUNIT_ASSERT_NOT_NULL(test, mt);
	mt->ctx = ctx;
	mt->vdev.id.device = device_id;
	mt->vdev.id.vendor = MOCK_VENDOR_ID;
	mt->vdev.num_queues = MOCK_NUM_QUEUES;
	mt->vdev.queue_size = MOCK_QUEUE_SIZE;
	INIT_DELAYED_WORK(&mt->complete_work, mock_complete_work);
	mt->vdev.atomic_data_path = ctx->atomic_transport;
	return mt;
}

/* Register a device, unregistered at the end of the test. */
static struct mock_transport *mock_device_add(struct kunit *test,
					      u32 device_id)
{
	struct mock_transport *mt = mock_device_alloc(test, device_id);
	int err;

	err = vhost_register_device(&mt->vdev);
	if (err)
		vhost_bus_put_device(&mt->vdev);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mock_device_unregister,
							&mt->vdev), 0);
	return mt;
}

static void mock_device_remove(struct kunit *test, struct mock_transport *mt)
{
	kunit_release_action(test, mock_device_unregister, &mt->vdev);
}

KUNIT_DEFINE_ACTION_WRAPPER(mock_device_put, vhost_bus_put_device,
			    struct vhost_bus_device *);

/* Keep a device's memory until the end of the test. */
static void mock_device_hold(struct kunit *test, struct mock_transport *mt)
{
	get_device(&mt->vdev.dev);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mock_device_put,
							&mt->vdev), 0);
}

/* The references to a device: 1 once only mock_device_hold()'s is left. */
static unsigned int mock_device_refs(struct mock_transport *mt)
{
	return kref_read(&mt->vdev.dev.kobj.kref);
}

/* Queue 0's ring in mock frontend memory, set up at DRIVER_OK. */
static void mock_rings(struct kunit *test, struct mock_transport *mt)
{
	mt->desc = kunit_kzalloc(test, MOCK_RING_NUM * sizeof(*mt->desc),
				 GFP_KERNEL);
	mt->avail = kunit_kzalloc(test, struct_size(mt->avail, ring,
						    MOCK_RING_NUM + 1),
				  GFP_KERNEL);
	mt->used = kunit_kzalloc(test, struct_size(mt->used, ring,
						   MOCK_RING_NUM) + 2,
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mt->desc);
	KUNIT_ASSERT_NOT_NULL(test, mt->avail);
	KUNIT_ASSERT_NOT_NULL(test, mt->used);
}

/* A transport's doorbell handler: look the queue up and kick, atomically. */
static void fe_kick(struct vhost_bus_vq *vq)
{
	rcu_read_lock();
	vhost_bus_frontend_kick(vq);
	rcu_read_unlock();
}

static struct vb_ctx *mock_ctx(struct vhost_bus_device *vdev)
{
	return to_mock(vdev)->ctx;
}

static void mock_kick(struct vhost_bus_vq *vq)
{
	struct vb_ctx *ctx = mock_ctx(vq->vdev);

	/* A client would take chains now: they must be transferable. */
	if (!vhost_bus_vq_ready(vq) ||
	    !(vhost_get_status(vq->vdev) & VIRTIO_CONFIG_S_DRIVER_OK))
		atomic_inc(&ctx->kicks_not_live);
	ctx->kicks[vq->index]++;
}

static void mock_client_snapshot(struct vb_ctx *ctx,
				 struct vhost_bus_device *vdev)
{
	unsigned int i;

	ctx->status_at_event = vhost_get_status(vdev);
	ctx->features_at_event = vhost_get_features(vdev);
	ctx->ready_at_event = false;
	ctx->started_at_event = false;
	for (i = 0; i < ctx->client_nvqs; i++) {
		ctx->ready_at_event |= vhost_bus_vq_ready(ctx->vqs[i]);
		ctx->started_at_event |= ctx->vqs[i]->started;
	}
}

static int mock_client_probe(struct vhost_bus_device *vdev)
{
	struct vb_ctx *ctx = mock_ctx(vdev);
	struct vhost_bus_vq_info info[MOCK_NUM_QUEUES];
	unsigned int i;
	int err;

	vb_log(ctx, "probe");
	vhost_set_drvdata(vdev, ctx);

	err = vhost_set_features(vdev, ctx->client_features);
	if (err)
		return err;

	if (ctx->client_nvqs) {
		for (i = 0; i < ctx->client_nvqs; i++) {
			info[i].name = i ? "tx" : "rx";
			info[i].callback = mock_kick;
			info[i].size = ctx->client_size;
		}
		err = vhost_create_vqs(vdev, ctx->client_nvqs, ctx->vqs, info);
		if (err)
			return err;
	}

	/* A failure after the queues exist: the core must undo them. */
	return ctx->probe_err;
}

static void mock_client_remove(struct vhost_bus_device *vdev)
{
	vb_log(mock_ctx(vdev), "remove");
}

static int mock_client_event(struct vhost_bus_device *vdev,
			     enum vhost_bus_event event)
{
	struct vb_ctx *ctx = mock_ctx(vdev);

	switch (event) {
	case VHOST_BUS_EVENT_FEATURES_OK:
		vb_log(ctx, "fok");
		mock_client_snapshot(ctx, vdev);
		return ctx->features_ok_err;
	case VHOST_BUS_EVENT_DRIVER_OK:
		vb_log(ctx, "dok");
		mock_client_snapshot(ctx, vdev);
		return ctx->driver_ok_err;
	case VHOST_BUS_EVENT_STATUS:
		vb_log(ctx, "status");
		return 0;
	case VHOST_BUS_EVENT_RESET:
		vb_log(ctx, "reset");
		mock_client_snapshot(ctx, vdev);
		return 0;
	}
	return 0;
}

static ssize_t mock_knob_show(struct vhost_bus_device *vdev, char *page)
{
	return sysfs_emit(page, "%u\n", mock_ctx(vdev)->knob);
}

static ssize_t mock_knob_store(struct vhost_bus_device *vdev,
			       const char *page, size_t len)
{
	unsigned int val;

	if (kstrtouint(page, 0, &val))
		return -EINVAL;
	mock_ctx(vdev)->knob = val;
	return len;
}

static const struct vhost_bus_client_attr mock_client_attrs[] = {
	{ "knob", mock_knob_show, mock_knob_store },
	{ "ro", mock_knob_show, NULL },
	{ }
};

static const struct vhost_bus_device_id mock_client_ids[] = {
	{ MOCK_DEVICE_ID, VHOST_BUS_DEV_ANY_ID },
	{ }
};

static const struct vhost_bus_device_id mock_other_ids[] = {
	{ MOCK_OTHER_ID, 0x1234 },
	{ }
};

KUNIT_DEFINE_ACTION_WRAPPER(mock_client_unregister, vhost_unregister_driver,
			    struct vhost_bus_driver *);

/* Register a client, unregistered at the end of the test. */
static struct vhost_bus_driver *
mock_client_add(struct kunit *test, const char *name,
		const struct vhost_bus_device_id *ids)
{
	struct vhost_bus_driver *drv;

	drv = kunit_kzalloc(test, sizeof(*drv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, drv);
	drv->driver.name = name;
	drv->id_table = ids;
	drv->probe = mock_client_probe;
	drv->remove = mock_client_remove;
	drv->event = mock_client_event;
	drv->cfs_attrs = mock_client_attrs;

	KUNIT_ASSERT_EQ(test, vhost_register_driver(drv), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mock_client_unregister,
							drv), 0);
	return drv;
}

static void mock_client_remove_driver(struct kunit *test,
				      struct vhost_bus_driver *drv)
{
	kunit_release_action(test, mock_client_unregister, drv);
}

static int fe(struct mock_transport *mt, u8 status)
{
	return vhost_bus_frontend_set_status(&mt->vdev, status);
}

/* Play a virtio driver up to FEATURES_OK, accepting @features. */
static void fe_features_ok(struct kunit *test, struct mock_transport *mt,
			   u64 features)
{
	KUNIT_ASSERT_EQ(test, fe(mt, FE_ACK), 0);
	KUNIT_ASSERT_EQ(test, fe(mt, FE_DRIVER), 0);
	mt->driver_features = features;
	KUNIT_ASSERT_EQ(test, fe(mt, FE_FEATURES_OK), 0);
	KUNIT_ASSERT_EQ(test, mt->status, FE_FEATURES_OK);
}

/* ... and on to DRIVER_OK. */
static void fe_driver_ok(struct kunit *test, struct mock_transport *mt,
			 u64 features)
{
	fe_features_ok(test, mt, features);
	KUNIT_ASSERT_EQ(test, fe(mt, FE_DRIVER_OK), 0);
	KUNIT_ASSERT_EQ(test, mt->status, FE_DRIVER_OK);
}

static void log_clear(struct vb_ctx *ctx)
{
	ctx->log[0] = '\0';
}

static bool is_bound(struct mock_transport *mt, struct vhost_bus_driver *drv)
{
	return mt->vdev.dev.driver == &drv->driver;
}

static int vb_init(struct kunit *test)
{
	struct vb_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->parent = kunit_device_register(test, "vhost_bus_kunit");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->parent);
	ctx->client_features = F0 | F1;
	ctx->client_nvqs = 2;
	test->priv = ctx;
	return 0;
}

/* A device binds to the client whose table has its id, and only to it. */
static void vb_match(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct vhost_bus_driver *drv, *other;
	struct mock_transport *mine, *wrong, *vendor, *unset;

	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	other = mock_client_add(test, MOCK_OTHER_CLIENT, mock_other_ids);

	mine = mock_device_add(test, MOCK_DEVICE_ID);
	KUNIT_EXPECT_TRUE(test, is_bound(mine, drv));
	KUNIT_EXPECT_STREQ(test, ctx->log, "probe create2 enable");

	/*
	 * No table has the first id; the other client's has the second,
	 * with another vendor.
	 */
	log_clear(ctx);
	wrong = mock_device_add(test, MOCK_UNKNOWN_ID);
	vendor = mock_device_add(test, MOCK_OTHER_ID);
	KUNIT_EXPECT_NULL(test, wrong->vdev.dev.driver);
	KUNIT_EXPECT_NULL(test, vendor->vdev.dev.driver);

	/* A device id of 0 waits for management, whatever the tables say. */
	unset = mock_device_add(test, 0);
	KUNIT_EXPECT_NULL(test, unset->vdev.dev.driver);
	KUNIT_EXPECT_STREQ(test, ctx->log, "");

	/* The vendor-specific entry does match its vendor. */
	mock_client_remove_driver(test, other);
	mock_device_remove(test, vendor);
	vendor = mock_device_alloc(test, MOCK_OTHER_ID);
	vendor->vdev.id.vendor = 0x1234;
	KUNIT_ASSERT_EQ(test, vhost_register_device(&vendor->vdev), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mock_device_unregister,
							&vendor->vdev), 0);
	KUNIT_EXPECT_NULL(test, vendor->vdev.dev.driver);
	other = mock_client_add(test, MOCK_OTHER_CLIENT, mock_other_ids);
	KUNIT_EXPECT_TRUE(test, is_bound(vendor, other));
}

/* The uevent carries the "vhost:" alias file2alias makes of id tables. */
static void vb_uevent(struct kunit *test)
{
	struct mock_transport *mt = mock_device_add(test, MOCK_DEVICE_ID);
	struct kobj_uevent_env *env;
	char name[24];

	env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, env);
	KUNIT_ASSERT_EQ(test, vhost_bus_type.uevent(&mt->vdev.dev, env), 0);
	KUNIT_ASSERT_EQ(test, env->envp_idx, 1);
	KUNIT_EXPECT_STREQ(test, env->envp[0],
			   "MODALIAS=vhost:d00007E57v4B554E49");

	/* The name comes from the index, not from the transport. */
	snprintf(name, sizeof(name), "vhost%u", mt->vdev.index);
	KUNIT_EXPECT_STREQ(test, dev_name(&mt->vdev.dev), name);
}

/* A probe that fails after creating queues leaves nothing behind. */
static void vb_probe_failure_unwinds(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct vhost_bus_driver *drv;
	struct mock_transport *mt;

	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	ctx->probe_err = -EIO;
	mt = mock_device_add(test, MOCK_DEVICE_ID);

	KUNIT_EXPECT_NULL(test, mt->vdev.dev.driver);
	KUNIT_EXPECT_STREQ(test, ctx->log, "probe create2 del");
	KUNIT_EXPECT_NULL(test, mt->vdev.vqs);
	KUNIT_EXPECT_EQ(test, mt->vdev.nvqs, 0);
	KUNIT_EXPECT_EQ(test, mt->offer, V1);

	/* With no client, the frontend cannot get past FEATURES_OK. */
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER), 0);
	mt->driver_features = V1;
	KUNIT_EXPECT_EQ(test, fe(mt, FE_FEATURES_OK), -ENODEV);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER);
	KUNIT_EXPECT_EQ(test, fe(mt, 0), 0);

	/* The same device binds once the client can. */
	log_clear(ctx);
	ctx->probe_err = 0;
	KUNIT_ASSERT_EQ(test, device_attach(&mt->vdev.dev), 1);
	KUNIT_EXPECT_TRUE(test, is_bound(mt, drv));
	KUNIT_EXPECT_STREQ(test, ctx->log, "probe create2 enable");
	KUNIT_EXPECT_EQ(test, mt->offer, F0 | F1 | V1);

	/* A transport failing create_vqs() fails the probe the same way. */
	device_release_driver(&mt->vdev.dev);
	log_clear(ctx);
	mt->create_err = -ENOSPC;
	KUNIT_EXPECT_EQ(test, device_attach(&mt->vdev.dev), 0);
	KUNIT_EXPECT_STREQ(test, ctx->log, "probe create2");
	KUNIT_EXPECT_NULL(test, mt->vdev.vqs);
	KUNIT_EXPECT_EQ(test, mt->offer, V1);
}

/*
 * The transport removes a device while the frontend drives it: the rings
 * stop before the client goes, the frontend is told to reset, and the
 * device is released.
 */
static void vb_unregister_live(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	mock_device_hold(test, mt);
	fe_driver_ok(test, mt, F0 | V1);
	KUNIT_ASSERT_TRUE(test, vhost_bus_vq_ready(ctx->vqs[0]));

	log_clear(ctx);
	mock_device_remove(test, mt);
	KUNIT_EXPECT_STREQ(test, ctx->log,
			   "reset stop0 stop1 disable remove del");
	/* During RESET the rings were mapped but no longer ready. */
	KUNIT_EXPECT_FALSE(test, ctx->ready_at_event);
	KUNIT_EXPECT_TRUE(test, ctx->started_at_event);
	/* Only the test's reference is left: the core kept none. */
	KUNIT_EXPECT_EQ(test, mock_device_refs(mt), 1);
}

/* Removing a bound device nobody drives: no reset, same cleanup. */
static void vb_unregister_idle(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	mock_device_hold(test, mt);

	log_clear(ctx);
	mock_device_remove(test, mt);
	KUNIT_EXPECT_STREQ(test, ctx->log, "disable remove del");
	KUNIT_EXPECT_EQ(test, mock_device_refs(mt), 1);
}

/*
 * Unregistering a client unbinds its live devices: the frontend sees
 * NEEDS_RESET with a configuration change notification, and the device
 * refuses to be negotiated again until a client binds.
 */
static void vb_unregister_client(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct vhost_bus_driver *drv;
	struct mock_transport *mt;

	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	fe_driver_ok(test, mt, F0 | V1);

	log_clear(ctx);
	mock_client_remove_driver(test, drv);
	KUNIT_EXPECT_STREQ(test, ctx->log,
			   "reset stop0 stop1 disable remove del");
	KUNIT_EXPECT_NULL(test, mt->vdev.dev.driver);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER_OK | NEEDS_RESET);
	KUNIT_EXPECT_EQ(test, mt->config_changes, 1);
	KUNIT_EXPECT_EQ(test, mt->offer, V1);
	KUNIT_EXPECT_EQ(test, vhost_get_features(&mt->vdev), 0);

	/* The frontend resets and tries again: refused, nothing to drive. */
	KUNIT_EXPECT_EQ(test, fe(mt, 0), 0);
	KUNIT_EXPECT_EQ(test, mt->status, 0);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER), 0);
	mt->driver_features = V1;
	KUNIT_EXPECT_EQ(test, fe(mt, FE_FEATURES_OK), -ENODEV);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER);
}

/*
 * A client reloaded while the frontend still drives the device (rmmod and
 * modprobe of the client): the device binds again at once, the frontend is
 * asked to reset, cannot carry on from its stale status, and after the
 * reset negotiates with the new client.
 */
static void vb_client_reload_live(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct vhost_bus_driver *drv;
	struct mock_transport *mt;

	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	fe_driver_ok(test, mt, F0 | V1);

	mock_client_remove_driver(test, drv);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER_OK | NEEDS_RESET);
	log_clear(ctx);
	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	KUNIT_EXPECT_TRUE(test, is_bound(mt, drv));
	KUNIT_EXPECT_STREQ(test, ctx->log, "probe create2 enable");
	KUNIT_EXPECT_EQ(test, mt->offer, F0 | F1 | V1);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER_OK | NEEDS_RESET);

	/* The new client is idle until the frontend resets, and told then. */
	log_clear(ctx);
	fe_kick(ctx->vqs[0]);
	KUNIT_EXPECT_EQ(test, ctx->kicks[0], 0);
	KUNIT_EXPECT_EQ(test, fe(mt, 0), 0);
	KUNIT_EXPECT_STREQ(test, ctx->log, "reset");
	log_clear(ctx);
	fe_driver_ok(test, mt, F1 | V1);
	KUNIT_EXPECT_STREQ(test, ctx->log,
			   "status status fok start0 start1 dok");
	KUNIT_EXPECT_EQ(test, vhost_get_features(&mt->vdev), F1 | V1);

	/* Removed after FEATURES_OK: DRIVER_OK may not follow. */
	fe(mt, 0);
	fe_features_ok(test, mt, F0 | V1);
	mock_client_remove_driver(test, drv);
	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	KUNIT_EXPECT_TRUE(test, is_bound(mt, drv));
	log_clear(ctx);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER_OK), -EINVAL);
	KUNIT_EXPECT_EQ(test, mt->status, FE_FEATURES_OK | NEEDS_RESET);
	KUNIT_EXPECT_STREQ(test, ctx->log, "");
	KUNIT_EXPECT_EQ(test, fe(mt, 0), 0);
	fe_driver_ok(test, mt, F0 | V1);
}

/*
 * The offer is the client's bits that management allows, VERSION_1 and the
 * transport's bits; negotiation accepts exactly the subsets that have the
 * required bits.
 */
static void vb_features_offer(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_alloc(test, MOCK_DEVICE_ID);
	mt->vdev.transport_features = BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);
	KUNIT_ASSERT_EQ(test, vhost_register_device(&mt->vdev), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mock_device_unregister,
							&mt->vdev), 0);
	KUNIT_ASSERT_NOT_NULL(test, mt->vdev.dev.driver);
	KUNIT_EXPECT_EQ(test, mt->offer,
			F0 | F1 | V1 | BIT_ULL(VIRTIO_F_ACCESS_PLATFORM));

	/* Management allows only F0; VERSION_1 cannot be masked. */
	device_release_driver(&mt->vdev.dev);
	mt->vdev.features_mask = F0;
	KUNIT_ASSERT_EQ(test, device_attach(&mt->vdev.dev), 1);
	KUNIT_EXPECT_EQ(test, mt->offer,
			F0 | V1 | BIT_ULL(VIRTIO_F_ACCESS_PLATFORM));
	device_release_driver(&mt->vdev.dev);
	mt->vdev.features_mask = 0;
	KUNIT_ASSERT_EQ(test, device_attach(&mt->vdev.dev), 1);
	KUNIT_EXPECT_EQ(test, mt->offer,
			V1 | BIT_ULL(VIRTIO_F_ACCESS_PLATFORM));

	/* Missing the transport's required bit: refused. */
	KUNIT_ASSERT_EQ(test, fe(mt, FE_DRIVER), 0);
	mt->driver_features = V1;
	KUNIT_EXPECT_EQ(test, fe(mt, FE_FEATURES_OK), -EINVAL);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER);
	KUNIT_EXPECT_EQ(test, vhost_get_features(&mt->vdev), 0);

	/* Exactly the offer: accepted. */
	mt->driver_features = V1 | BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_FEATURES_OK), 0);
	KUNIT_EXPECT_EQ(test, mt->status, FE_FEATURES_OK);
	KUNIT_EXPECT_EQ(test, vhost_get_features(&mt->vdev),
			V1 | BIT_ULL(VIRTIO_F_ACCESS_PLATFORM));
	KUNIT_EXPECT_EQ(test, ctx->features_at_event,
			V1 | BIT_ULL(VIRTIO_F_ACCESS_PLATFORM));
}

/* FEATURES_OK is refused for a superset of the offer or without VERSION_1. */
static void vb_features_refused(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	KUNIT_ASSERT_EQ(test, fe(mt, FE_DRIVER), 0);

	log_clear(ctx);
	mt->driver_features = F0 | F5 | V1;
	KUNIT_EXPECT_EQ(test, fe(mt, FE_FEATURES_OK), -EINVAL);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER);

	mt->driver_features = F0;
	KUNIT_EXPECT_EQ(test, fe(mt, FE_FEATURES_OK), -EINVAL);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER);

	/* DRIVER_OK in the same write goes with the refused FEATURES_OK. */
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER_OK), -EINVAL);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER);
	KUNIT_EXPECT_EQ(test, vhost_get_features(&mt->vdev), 0);
	KUNIT_EXPECT_STREQ(test, ctx->log, "");

	/* No feature at all but VERSION_1 is a valid subset. */
	mt->driver_features = V1;
	KUNIT_EXPECT_EQ(test, fe(mt, FE_FEATURES_OK), 0);
	KUNIT_EXPECT_EQ(test, vhost_get_features(&mt->vdev), V1);
}

/* The client may refuse features it cannot work with. */
static void vb_features_client_veto(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	KUNIT_ASSERT_EQ(test, fe(mt, FE_DRIVER), 0);

	log_clear(ctx);
	ctx->features_ok_err = -EPROTO;
	mt->driver_features = F1 | V1;
	KUNIT_EXPECT_EQ(test, fe(mt, FE_FEATURES_OK), -EPROTO);
	KUNIT_EXPECT_STREQ(test, ctx->log, "fok");
	/* The client saw the features it was asked about... */
	KUNIT_EXPECT_EQ(test, ctx->features_at_event, F1 | V1);
	/* ...and its refusal left none negotiated. */
	KUNIT_EXPECT_EQ(test, vhost_get_features(&mt->vdev), 0);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER);
}

/* The offer is fixed once negotiated, and free again after a reset. */
static void vb_features_set_after_negotiation(struct kunit *test)
{
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	fe_features_ok(test, mt, F0 | V1);

	KUNIT_EXPECT_EQ(test, vhost_set_features(&mt->vdev, F5), -EBUSY);
	KUNIT_EXPECT_EQ(test, mt->offer, F0 | F1 | V1);

	KUNIT_ASSERT_EQ(test, fe(mt, 0), 0);
	KUNIT_EXPECT_EQ(test, vhost_get_features(&mt->vdev), 0);
	KUNIT_EXPECT_EQ(test, vhost_set_features(&mt->vdev, F5), 0);
	KUNIT_EXPECT_EQ(test, mt->offer, F5 | V1);
}

/* Each step of virtio initialisation, one by one and all at once. */
static void vb_status_legal(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);

	log_clear(ctx);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_ACK), 0);
	KUNIT_EXPECT_EQ(test, mt->status, FE_ACK);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER), 0);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER);
	mt->driver_features = F0 | V1;
	KUNIT_EXPECT_EQ(test, fe(mt, FE_FEATURES_OK), 0);
	KUNIT_EXPECT_EQ(test, mt->status, FE_FEATURES_OK);
	/* Writing the same status again changes nothing. */
	KUNIT_EXPECT_EQ(test, fe(mt, FE_FEATURES_OK), 0);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER_OK), 0);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER_OK);
	KUNIT_EXPECT_STREQ(test, ctx->log,
			   "status status fok start0 start1 dok");
	/* DRIVER_OK comes with the status set and the rings ready. */
	KUNIT_EXPECT_EQ(test, ctx->status_at_event, FE_DRIVER_OK);
	KUNIT_EXPECT_TRUE(test, ctx->ready_at_event);

	/* FAILED may be set at any time; it is a status event. */
	log_clear(ctx);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER_OK | VIRTIO_CONFIG_S_FAILED), 0);
	KUNIT_EXPECT_STREQ(test, ctx->log, "status");

	log_clear(ctx);
	KUNIT_EXPECT_EQ(test, fe(mt, 0), 0);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER_OK), 0);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER_OK);
	KUNIT_EXPECT_STREQ(test, ctx->log,
			   "reset stop0 stop1 fok start0 start1 dok status");
}

/* Skipped steps, cleared bits and unknown bits change nothing. */
static void vb_status_illegal(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);

	log_clear(ctx);
	KUNIT_EXPECT_EQ(test, fe(mt, VIRTIO_CONFIG_S_DRIVER), -EINVAL);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_ACK | VIRTIO_CONFIG_S_FEATURES_OK),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_ACK | 0x10), -EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_get_status(&mt->vdev), 0);
	KUNIT_EXPECT_STREQ(test, ctx->log, "");

	/* Only writing 0 clears bits. */
	KUNIT_ASSERT_EQ(test, fe(mt, FE_DRIVER), 0);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_ACK), -EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_get_status(&mt->vdev), FE_DRIVER);

	/* NEEDS_RESET is the device's bit: the frontend cannot set it. */
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER | NEEDS_RESET), 0);
	KUNIT_EXPECT_EQ(test, vhost_get_status(&mt->vdev), FE_DRIVER);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER);
}

/*
 * The device side may only add NEEDS_RESET, and only to a device being
 * driven; a live frontend is notified, once.
 */
static void vb_status_device_side(struct kunit *test)
{
	struct mock_transport *mt;
	u8 failed;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);

	KUNIT_EXPECT_EQ(test, vhost_set_status(&mt->vdev, NEEDS_RESET),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mt->status, 0);

	fe_driver_ok(test, mt, F0 | V1);
	/* The frontend's bits: a device neither sets nor clears them. */
	failed = FE_DRIVER_OK | VIRTIO_CONFIG_S_FAILED;
	KUNIT_EXPECT_EQ(test, vhost_set_status(&mt->vdev, failed), -EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_set_status(&mt->vdev, FE_FEATURES_OK), 0);
	KUNIT_EXPECT_EQ(test, vhost_set_status(&mt->vdev, FE_DRIVER_OK), 0);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, mt->config_changes, 0);

	/* NEEDS_RESET alone, or with the frontend's bits, as read. */
	KUNIT_EXPECT_EQ(test, vhost_set_status(&mt->vdev, NEEDS_RESET), 0);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER_OK | NEEDS_RESET);
	KUNIT_EXPECT_EQ(test, mt->config_changes, 1);
	KUNIT_EXPECT_EQ(test, vhost_set_status(&mt->vdev,
					       FE_DRIVER_OK | NEEDS_RESET), 0);
	KUNIT_EXPECT_EQ(test, mt->config_changes, 1);

	/* The frontend's later writes keep it; only a reset clears it. */
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER_OK | VIRTIO_CONFIG_S_FAILED), 0);
	KUNIT_EXPECT_EQ(test, mt->status,
			FE_DRIVER_OK | VIRTIO_CONFIG_S_FAILED | NEEDS_RESET);
	KUNIT_EXPECT_EQ(test, fe(mt, 0), 0);
	KUNIT_EXPECT_EQ(test, mt->status, 0);
}

/*
 * A reset with live queues: kicks stop first, the client stops while the
 * rings are still mapped, the transport unmaps, and the device is as new.
 */
static void vb_reset_live_queues(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;
	u8 buf[4];

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);

	/* Kicks before DRIVER_OK reach no one. */
	fe_kick(ctx->vqs[0]);
	KUNIT_EXPECT_EQ(test, ctx->kicks[0], 0);

	fe_driver_ok(test, mt, F0 | V1);
	fe_kick(ctx->vqs[0]);
	fe_kick(ctx->vqs[1]);
	KUNIT_EXPECT_EQ(test, ctx->kicks[0], 1);
	KUNIT_EXPECT_EQ(test, ctx->kicks[1], 1);
	KUNIT_EXPECT_EQ(test, vhost_read(&mt->vdev, buf, 0, sizeof(buf)), 0);
	vhost_bus_vq_notify(ctx->vqs[0]);
	KUNIT_EXPECT_EQ(test, mt->notifies, 1);

	log_clear(ctx);
	KUNIT_EXPECT_EQ(test, fe(mt, 0), 0);
	KUNIT_EXPECT_STREQ(test, ctx->log, "reset stop0 stop1");
	KUNIT_EXPECT_FALSE(test, ctx->ready_at_event);
	KUNIT_EXPECT_TRUE(test, ctx->started_at_event);
	KUNIT_EXPECT_EQ(test, ctx->status_at_event, 0);
	KUNIT_EXPECT_EQ(test, mt->status, 0);
	KUNIT_EXPECT_EQ(test, vhost_get_features(&mt->vdev), 0);
	KUNIT_EXPECT_FALSE(test, ctx->vqs[0]->started);

	/* Nothing reaches either side afterwards. */
	fe_kick(ctx->vqs[0]);
	KUNIT_EXPECT_EQ(test, ctx->kicks[0], 1);
	vhost_bus_vq_notify(ctx->vqs[0]);
	KUNIT_EXPECT_EQ(test, mt->notifies, 1);
	KUNIT_EXPECT_EQ(test, vhost_read(&mt->vdev, buf, 0, sizeof(buf)),
			-ENOTCONN);

	/* The same queues come back with the next initialisation. */
	log_clear(ctx);
	fe_driver_ok(test, mt, F1 | V1);
	KUNIT_EXPECT_STREQ(test, ctx->log,
			   "status status fok start0 start1 dok");
	fe_kick(ctx->vqs[1]);
	KUNIT_EXPECT_EQ(test, ctx->kicks[1], 2);
}

/* A queue the frontend did not enable stays off; the others run. */
static void vb_queue_not_enabled(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	mt->disabled_vqs = BIT(1);

	fe_driver_ok(test, mt, V1);
	KUNIT_EXPECT_TRUE(test, vhost_bus_vq_ready(ctx->vqs[0]));
	KUNIT_EXPECT_FALSE(test, vhost_bus_vq_ready(ctx->vqs[1]));

	log_clear(ctx);
	KUNIT_EXPECT_EQ(test, fe(mt, 0), 0);
	KUNIT_EXPECT_STREQ(test, ctx->log, "reset stop0");
}

/* A ring the transport cannot use: NEEDS_RESET, no DRIVER_OK event. */
static void vb_ring_unusable(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	mt->start_err = -EFAULT;
	mt->start_err_vq = 1;

	fe_features_ok(test, mt, V1);
	log_clear(ctx);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER_OK), -EFAULT);
	KUNIT_EXPECT_STREQ(test, ctx->log, "start0 start1 stop0");
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER_OK | NEEDS_RESET);
	KUNIT_EXPECT_EQ(test, mt->config_changes, 1);
	KUNIT_EXPECT_FALSE(test, vhost_bus_vq_ready(ctx->vqs[0]));
}

/* A client that cannot start gets the device reset-needed and stopped. */
static void vb_driver_ok_client_error(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	ctx->driver_ok_err = -ENOMEM;

	fe_features_ok(test, mt, V1);
	log_clear(ctx);
	KUNIT_EXPECT_EQ(test, fe(mt, FE_DRIVER_OK), -ENOMEM);
	KUNIT_EXPECT_STREQ(test, ctx->log,
			   "start0 start1 dok reset stop0 stop1");
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER_OK | NEEDS_RESET);
	KUNIT_EXPECT_FALSE(test, vhost_bus_vq_ready(ctx->vqs[0]));
}

/*
 * The rings are walked through the transport's address check, and a ring
 * that lies about its avail index makes the device NEEDS_RESET.
 */
static void vb_broken_ring(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct vringh_mmiovec segs[2];
	struct vringh_mmiov riov;
	struct mock_transport *mt;
	u16 head;

	if (IS_ENABLED(CONFIG_UML))
		kunit_skip(test, "needs real I/O accessors");

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	mock_rings(test, mt);

	vringh_mmiov_init(&riov, segs, ARRAY_SIZE(segs));
	KUNIT_EXPECT_EQ(test, vhost_bus_vq_getdesc(ctx->vqs[0], &riov, NULL,
						   &head, GFP_KERNEL),
			-ENOTCONN);

	fe_driver_ok(test, mt, V1);

	/* One readable buffer at frontend address 0x10. */
	mt->desc[0].addr = __cpu_to_virtio64(true, 0x10);
	mt->desc[0].len = __cpu_to_virtio32(true, 8);
	mt->avail->ring[0] = __cpu_to_virtio16(true, 0);
	mt->avail->idx = __cpu_to_virtio16(true, 1);
	KUNIT_EXPECT_EQ(test, vhost_bus_vq_getdesc(ctx->vqs[0], &riov, NULL,
						   &head, GFP_KERNEL), 1);
	KUNIT_EXPECT_EQ(test, head, 0);
	KUNIT_ASSERT_EQ(test, riov.used, 1);
	KUNIT_EXPECT_EQ(test, riov.iov[0].addr, 0x10);
	KUNIT_EXPECT_EQ(test, riov.iov[0].len, 8);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER_OK);

	/* An avail index more than a ring ahead. */
	vringh_mmiov_reset(&riov);
	riov.used = 0;
	mt->avail->idx = __cpu_to_virtio16(true, 1 + MOCK_RING_NUM + 1);
	KUNIT_EXPECT_LT(test, vhost_bus_vq_getdesc(ctx->vqs[0], &riov, NULL,
						   &head, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, head, MOCK_RING_NUM);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER_OK | NEEDS_RESET);
	KUNIT_EXPECT_EQ(test, mt->config_changes, 1);
}

/* Configuration writes bump the generation after the bytes, and only then. */
static void vb_config_generation(struct kunit *test)
{
	struct mock_transport *mt;
	u8 mac[6] = { 0x02, 0, 0, 0, 0, 0x01 }, back[6];

	mt = mock_device_add(test, MOCK_DEVICE_ID);
	KUNIT_EXPECT_EQ(test, vhost_config_generation(&mt->vdev), 0);

	KUNIT_EXPECT_EQ(test, vhost_set_config(&mt->vdev, 2, mac, sizeof(mac)),
			0);
	KUNIT_EXPECT_EQ(test, vhost_config_generation(&mt->vdev), 1);
	KUNIT_EXPECT_EQ(test, mt->generation, 1);
	KUNIT_EXPECT_EQ(test, mt->config_changes, 1);
	KUNIT_EXPECT_MEMEQ(test, mt->config + 2, mac, sizeof(mac));

	KUNIT_EXPECT_EQ(test,
			vhost_get_config(&mt->vdev, 2, back, sizeof(back)), 0);
	KUNIT_EXPECT_MEMEQ(test, back, mac, sizeof(mac));

	/* Failed writes leave the generation alone. */
	KUNIT_EXPECT_EQ(test, vhost_set_config(&mt->vdev, 12, mac, sizeof(mac)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_set_config(&mt->vdev, UINT_MAX, mac,
					       sizeof(mac)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_config_generation(&mt->vdev), 1);
	KUNIT_EXPECT_EQ(test, mt->config_changes, 1);
}

/* Copies need a live device and a range that does not wrap. */
static void vb_read_write(struct kunit *test)
{
	struct mock_transport *mt;
	u8 in[4] = { 1, 2, 3, 4 }, out[4] = { };

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);

	KUNIT_EXPECT_EQ(test, vhost_write(&mt->vdev, 8, in, sizeof(in)),
			-ENOTCONN);
	fe_driver_ok(test, mt, V1);
	KUNIT_EXPECT_EQ(test, vhost_write(&mt->vdev, 8, in, sizeof(in)), 0);
	KUNIT_EXPECT_MEMEQ(test, mt->mem + 8, in, sizeof(in));
	KUNIT_EXPECT_EQ(test, vhost_read(&mt->vdev, out, 8, sizeof(out)), 0);
	KUNIT_EXPECT_MEMEQ(test, out, in, sizeof(in));
	KUNIT_EXPECT_EQ(test, mt->xfers, 2);

	/* The transport's errors come back; bad ranges never reach it. */
	KUNIT_EXPECT_EQ(test, vhost_read(&mt->vdev, out, MOCK_MEM_SIZE - 2,
					 sizeof(out)), -EFAULT);
	KUNIT_EXPECT_EQ(test, vhost_read(&mt->vdev, out, U64_MAX - 1,
					 sizeof(out)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_read(&mt->vdev, out, 8, 0), 0);
	KUNIT_EXPECT_EQ(test, mt->xfers, 3);
}

/* A transfer and what its completion callback saw. */
struct vb_xfer_rec {
	struct vhost_bus_xfer xfer;
	struct vhost_bus_xfer_seg seg;
	u8 buf[4];
	int err;
	unsigned int calls;
};

static void vb_xfer_done(const struct vhost_bus_xfer *xfer, int err)
{
	struct vb_xfer_rec *rec = xfer->priv;

	rec->err = err;
	rec->calls++;
}

static void vb_xfer_prep(struct vb_xfer_rec *rec, enum vhost_bus_xfer_dir dir,
			 u64 addr, u8 first)
{
	unsigned int i;

	for (i = 0; i < sizeof(rec->buf); i++)
		rec->buf[i] = dir == VHOST_BUS_XFER_WRITE ? first + i : 0;
	rec->seg.addr = addr;
	rec->seg.buf = rec->buf;
	rec->seg.len = sizeof(rec->buf);
	rec->xfer.dir = dir;
	rec->xfer.nr_segs = 1;
	rec->xfer.segs = &rec->seg;
	rec->xfer.done = vb_xfer_done;
	rec->xfer.priv = rec;
}

/* At the end of a test, fail what is pending: unregistration waits for it. */
static void mock_async_cleanup(void *data)
{
	struct mock_transport *mt = data;
	unsigned int i;

	cancel_delayed_work_sync(&mt->complete_work);
	for (i = 0; i < mt->nr_pending; i++)
		if (mt->pending[i])
			mock_xfer_finish(mt, i, -ECANCELED);
	mt->nr_pending = 0;
}

static void mock_async(struct kunit *test, struct mock_transport *mt,
		       unsigned int delay_ms)
{
	mt->async = true;
	mt->async_delay_ms = delay_ms;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mock_async_cleanup,
							mt), 0);
}

/*
 * vhost_xfer_submit(): 0 and no callback for a transfer done at once;
 * -EINPROGRESS and exactly one callback, with the outcome, for one the
 * transport took; several in flight, completed in any order.
 */
static void vb_xfer_async(struct kunit *test)
{
	static const u8 w0[] = { 1, 2, 3, 4 }, w1[] = { 5, 6, 7, 8 };
	static const u8 r2[] = { 9, 10, 11, 12 }, zero[4] = { };
	struct vhost_bus_xfer_seg empty = { .addr = 8, .buf = NULL };
	struct vb_xfer_rec *rec;
	struct mock_transport *mt;
	struct vhost_bus_xfer bad;
	unsigned int i;

	/* Buffers the transport may use after a failed assertion. */
	rec = kunit_kcalloc(test, 4, sizeof(*rec), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rec);
	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);

	vb_xfer_prep(&rec[3], VHOST_BUS_XFER_WRITE, 8, 1);
	KUNIT_EXPECT_EQ(test, vhost_xfer_submit(&mt->vdev, &rec[3].xfer),
			-ENOTCONN);
	fe_driver_ok(test, mt, V1);

	/* Synchronous: done when it returns, no callback. */
	KUNIT_EXPECT_EQ(test, vhost_xfer_submit(&mt->vdev, &rec[3].xfer), 0);
	KUNIT_EXPECT_MEMEQ(test, mt->mem + 8, w0, sizeof(w0));
	KUNIT_EXPECT_EQ(test, rec[3].calls, 0);
	memset(mt->mem + 8, 0, 4);

	mock_async(test, mt, 0);
	memcpy(mt->mem + 24, r2, sizeof(r2));
	vb_xfer_prep(&rec[0], VHOST_BUS_XFER_WRITE, 8, 1);
	vb_xfer_prep(&rec[1], VHOST_BUS_XFER_WRITE, 16, 5);
	vb_xfer_prep(&rec[2], VHOST_BUS_XFER_READ, 24, 0);
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, vhost_xfer_submit(&mt->vdev,
							&rec[i].xfer),
				-EINPROGRESS);
	KUNIT_EXPECT_EQ(test, atomic_read(&mt->vdev.xfers_in_flight), 3);
	KUNIT_EXPECT_EQ(test, rec[0].calls + rec[1].calls + rec[2].calls, 0);
	KUNIT_EXPECT_MEMEQ(test, mt->mem + 8, zero, sizeof(zero));

	/* Out of order, one of them failing. */
	mock_xfer_finish(mt, 1, 0);
	KUNIT_EXPECT_EQ(test, rec[1].calls, 1);
	KUNIT_EXPECT_EQ(test, rec[1].err, 0);
	KUNIT_EXPECT_MEMEQ(test, mt->mem + 16, w1, sizeof(w1));
	KUNIT_EXPECT_EQ(test, rec[0].calls, 0);

	mock_xfer_finish(mt, 0, -EIO);
	KUNIT_EXPECT_EQ(test, rec[0].calls, 1);
	KUNIT_EXPECT_EQ(test, rec[0].err, -EIO);
	KUNIT_EXPECT_MEMEQ(test, mt->mem + 8, zero, sizeof(zero));

	mock_xfer_finish(mt, 2, 0);
	mt->nr_pending = 0;
	KUNIT_EXPECT_EQ(test, rec[2].calls, 1);
	KUNIT_EXPECT_MEMEQ(test, rec[2].buf, r2, sizeof(r2));
	KUNIT_EXPECT_EQ(test, atomic_read(&mt->vdev.xfers_in_flight), 0);
	/* Nothing in flight: returns at once. */
	vhost_xfer_flush(&mt->vdev);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, rec[i].calls, 1);

	/* The transport's own refusal: no callback, nothing in flight. */
	mt->nr_pending = MOCK_MAX_PENDING;
	KUNIT_EXPECT_EQ(test, vhost_xfer_submit(&mt->vdev, &rec[3].xfer),
			-EBUSY);
	mt->nr_pending = 0;
	KUNIT_EXPECT_EQ(test, rec[3].calls, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&mt->vdev.xfers_in_flight), 0);

	/* Never reach the transport: no callback, an empty segment. */
	bad = rec[3].xfer;
	bad.done = NULL;
	KUNIT_EXPECT_EQ(test, vhost_xfer_submit(&mt->vdev, &bad), -EINVAL);
	bad = rec[3].xfer;
	bad.segs = &empty;
	KUNIT_EXPECT_EQ(test, vhost_xfer_submit(&mt->vdev, &bad), -EINVAL);
	KUNIT_EXPECT_EQ(test, mt->xfers, 5);
}

/*
 * On an asynchronous transport, vhost_read() and vhost_write() wait for the
 * completion and return its outcome, and a reset waits for the transfers
 * in flight before the rings go away.
 */
static void vb_xfer_async_wait(struct kunit *test)
{
	static const u8 in[] = { 1, 2, 3, 4 };
	struct vb_xfer_rec *rec;
	struct mock_transport *mt;
	u8 out[4] = { };

	rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rec);
	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	fe_driver_ok(test, mt, V1);
	mock_async(test, mt, 20);

	KUNIT_EXPECT_EQ(test, vhost_write(&mt->vdev, 8, in, sizeof(in)), 0);
	KUNIT_EXPECT_MEMEQ(test, mt->mem + 8, in, sizeof(in));
	KUNIT_EXPECT_EQ(test, vhost_read(&mt->vdev, out, 8, sizeof(out)), 0);
	KUNIT_EXPECT_MEMEQ(test, out, in, sizeof(in));

	mt->async_err = -EIO;
	KUNIT_EXPECT_EQ(test, vhost_read(&mt->vdev, out, 8, sizeof(out)),
			-EIO);
	mt->async_err = 0;

	/* The frontend resets while a transfer is in flight. */
	vb_xfer_prep(rec, VHOST_BUS_XFER_WRITE, 16, 5);
	KUNIT_ASSERT_EQ(test, vhost_xfer_submit(&mt->vdev, &rec->xfer),
			-EINPROGRESS);
	KUNIT_EXPECT_EQ(test, rec->calls, 0);
	KUNIT_EXPECT_EQ(test, fe(mt, 0), 0);
	KUNIT_EXPECT_EQ(test, rec->calls, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&mt->vdev.xfers_in_flight), 0);
	KUNIT_EXPECT_EQ(test, mt->xfers, 4);
}

/*
 * An atomic transport is called with bottom halves disabled, as from NAPI:
 * transfers, both kinds of completion, notifications, and a broken ring,
 * whose NEEDS_RESET is set from process context afterwards.
 */
static void vb_xfer_atomic(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct vringh_mmiovec segs[2];
	struct vringh_mmiov riov;
	struct vb_xfer_rec *rec;
	struct mock_transport *mt;
	u16 head;
	int ret;

	rec = kunit_kcalloc(test, 2, sizeof(*rec), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rec);
	ctx->atomic_transport = true;
	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	KUNIT_EXPECT_TRUE(test, mt->vdev.atomic_data_path);
	mock_rings(test, mt);
	fe_driver_ok(test, mt, V1);

	vb_xfer_prep(&rec[0], VHOST_BUS_XFER_WRITE, 8, 1);
	local_bh_disable();
	ret = vhost_xfer_submit(&mt->vdev, &rec[0].xfer);
	vhost_bus_vq_notify(ctx->vqs[0]);
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, rec[0].calls, 0);
	KUNIT_EXPECT_EQ(test, mt->xfers_atomic, 1);
	KUNIT_EXPECT_EQ(test, mt->notifies, 1);

	/* Submitted and completed in softirq-like context. */
	mock_async(test, mt, 0);
	vb_xfer_prep(&rec[1], VHOST_BUS_XFER_READ, 8, 0);
	local_bh_disable();
	ret = vhost_xfer_submit(&mt->vdev, &rec[1].xfer);
	if (ret == -EINPROGRESS) {
		mock_xfer_finish(mt, 0, 0);
		mt->nr_pending = 0;
	}
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, ret, -EINPROGRESS);
	KUNIT_EXPECT_EQ(test, rec[1].calls, 1);
	KUNIT_EXPECT_MEMEQ(test, rec[1].buf, rec[0].buf, sizeof(rec[0].buf));
	KUNIT_EXPECT_EQ(test, mt->xfers_atomic, 2);

	if (IS_ENABLED(CONFIG_UML))
		kunit_skip(test, "needs real I/O accessors");

	/* An avail index more than a ring ahead, found in atomic context. */
	vringh_mmiov_init(&riov, segs, ARRAY_SIZE(segs));
	mt->avail->idx = __cpu_to_virtio16(true, MOCK_RING_NUM + 1);
	local_bh_disable();
	ret = vhost_bus_vq_getdesc(ctx->vqs[0], &riov, NULL, &head,
				   GFP_ATOMIC);
	local_bh_enable();
	KUNIT_EXPECT_LT(test, ret, 0);
	KUNIT_EXPECT_EQ(test, head, MOCK_RING_NUM);
	flush_work(&mt->vdev.needs_reset_work);
	KUNIT_EXPECT_EQ(test, mt->status, FE_DRIVER_OK | NEEDS_RESET);
	KUNIT_EXPECT_EQ(test, mt->config_changes, 1);
	vringh_mmiov_cleanup(&riov);
}

/* Queue creation checks its arguments and the device state. */
static void vb_create_vqs_rules(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct vhost_bus_vq_info info[MOCK_NUM_QUEUES + 1] = {
		{ "q0", NULL, 1024 }, { "q1", NULL, 64 }, { "q2", NULL, 0 },
		{ "q3", NULL, 0 }, { "q4", NULL, 0 },
	};
	struct vhost_bus_vq *vqs[MOCK_NUM_QUEUES + 1];
	struct mock_transport *mt;

	ctx->client_nvqs = 0;
	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);

	KUNIT_EXPECT_EQ(test, vhost_create_vqs(&mt->vdev, 0, vqs, info),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_create_vqs(&mt->vdev, MOCK_NUM_QUEUES + 1,
					       vqs, info), -EINVAL);
	info[1].size = 48;
	KUNIT_EXPECT_EQ(test, vhost_create_vqs(&mt->vdev, 2, vqs, info),
			-EINVAL);
	info[1].size = 64;
	info[2].name = NULL;
	KUNIT_EXPECT_EQ(test, vhost_create_vqs(&mt->vdev, 3, vqs, info),
			-EINVAL);
	info[2].name = "q2";
	KUNIT_EXPECT_NULL(test, mt->vdev.vqs);

	KUNIT_ASSERT_EQ(test, vhost_create_vqs(&mt->vdev, 3, vqs, info), 0);
	KUNIT_EXPECT_EQ(test, vqs[0]->num_max, MOCK_QUEUE_SIZE);
	KUNIT_EXPECT_EQ(test, vqs[1]->num_max, 64);
	KUNIT_EXPECT_EQ(test, vqs[2]->num_max, MOCK_QUEUE_SIZE);
	KUNIT_EXPECT_EQ(test, vqs[2]->index, 2);
	KUNIT_EXPECT_PTR_EQ(test, vqs[2]->vdev, &mt->vdev);
	KUNIT_EXPECT_EQ(test, vhost_create_vqs(&mt->vdev, 1, vqs, info),
			-EBUSY);

	vhost_del_vqs(&mt->vdev);
	KUNIT_EXPECT_NULL(test, mt->vdev.vqs);
	fe_features_ok(test, mt, V1);
	KUNIT_EXPECT_EQ(test, vhost_create_vqs(&mt->vdev, 1, vqs, info),
			-EBUSY);
}

/* Registration refuses what the core could not work with. */
static void vb_register_invalid(struct kunit *test)
{
	static const struct vhost_bus_config_ops no_xfer = {
		.create_vqs = mock_create_vqs,
		.del_vqs = mock_del_vqs,
		.start_vq = mock_start_vq,
		.stop_vq = mock_stop_vq,
		.getrange = mock_getrange,
		.notify = mock_notify,
		.set_features = mock_set_features,
		.get_features = mock_get_features,
		.set_status = mock_set_status,
		.config_changed = mock_config_changed,
	};
	struct vhost_bus_driver drv = {
		.driver.name = MOCK_CLIENT,
		.id_table = mock_client_ids,
		.probe = mock_client_probe,
		.remove = mock_client_remove,
	};
	struct mock_transport *mt;

	struct vhost_bus_device *fake;

	mt = mock_device_alloc(test, MOCK_DEVICE_ID);
	mt->vdev.ops = &no_xfer;
	KUNIT_EXPECT_EQ(test, vhost_register_device(&mt->vdev), -EINVAL);
	vhost_bus_put_device(&mt->vdev);

	mt = mock_device_alloc(test, MOCK_DEVICE_ID);
	mt->vdev.queue_size = 100;
	KUNIT_EXPECT_EQ(test, vhost_register_device(&mt->vdev), -EINVAL);
	vhost_bus_put_device(&mt->vdev);

	mt = mock_device_alloc(test, MOCK_DEVICE_ID);
	mt->vdev.num_queues = 0;
	KUNIT_EXPECT_EQ(test, vhost_register_device(&mt->vdev), -EINVAL);
	vhost_bus_put_device(&mt->vdev);

	mt = mock_device_alloc(test, VHOST_BUS_DEV_ANY_ID);
	KUNIT_EXPECT_EQ(test, vhost_register_device(&mt->vdev), -EINVAL);
	vhost_bus_put_device(&mt->vdev);

	/* Only the core allocates devices: it holds their release. */
	fake = kunit_kzalloc(test, sizeof(*fake), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fake);
	fake->ops = &mock_ops;
	fake->num_queues = MOCK_NUM_QUEUES;
	fake->queue_size = MOCK_QUEUE_SIZE;
	KUNIT_EXPECT_EQ(test, vhost_register_device(fake), -EINVAL);

	/* A client without an event callback. */
	KUNIT_EXPECT_EQ(test, vhost_register_driver(&drv), -EINVAL);
}

/*
 * Clients record their module, and binding a client on behalf of
 * management, or failing to, leaves no reference to the device behind.
 */
static void vb_bind_refs(struct kunit *test)
{
	struct vhost_bus_driver *drv;
	struct mock_transport *mt;
	unsigned int refs;

	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	KUNIT_EXPECT_PTR_EQ(test, drv->driver.owner, THIS_MODULE);
	KUNIT_EXPECT_STREQ(test, drv->driver.mod_name, KBUILD_MODNAME);

	mt = mock_device_add(test, 0);
	refs = mock_device_refs(mt);
	KUNIT_ASSERT_EQ(test, vhost_bus_bind(&mt->vdev, MOCK_CLIENT), 0);
	vhost_bus_unbind(&mt->vdev);
	KUNIT_EXPECT_EQ(test, vhost_bus_bind(&mt->vdev, "no_such_client"),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, mock_device_refs(mt), refs);
}

/*
 * Management binds a device to a client by name: the id comes from the
 * client, the device is reserved for that client, and unbinding frees it.
 */
static void vb_bind_by_name(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct vhost_bus_driver *drv, *other;
	struct mock_transport *mt;

	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	other = mock_client_add(test, MOCK_OTHER_CLIENT, mock_other_ids);
	mt = mock_device_add(test, 0);
	KUNIT_ASSERT_NULL(test, mt->vdev.dev.driver);

	/* The other client does not implement MOCK_DEVICE_ID... */
	mt->vdev.id.device = MOCK_DEVICE_ID;
	KUNIT_EXPECT_EQ(test, vhost_bus_bind(&mt->vdev, MOCK_OTHER_CLIENT),
			-EINVAL);
	KUNIT_EXPECT_FALSE(test, device_has_driver_override(&mt->vdev.dev));
	KUNIT_EXPECT_EQ(test, mt->vdev.id.device, MOCK_DEVICE_ID);

	/* ...this one does, and gives its id to a device without one. */
	mt->vdev.id.device = 0;
	KUNIT_EXPECT_EQ(test, vhost_bus_bind(&mt->vdev, MOCK_CLIENT), 0);
	KUNIT_EXPECT_TRUE(test, is_bound(mt, drv));
	KUNIT_EXPECT_EQ(test, mt->vdev.id.device, MOCK_DEVICE_ID);
	KUNIT_EXPECT_EQ(test, vhost_bus_bind(&mt->vdev, MOCK_CLIENT), -EBUSY);

	/* The reservation holds across a reload of the client. */
	mock_client_remove_driver(test, drv);
	KUNIT_EXPECT_NULL(test, mt->vdev.dev.driver);
	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	KUNIT_EXPECT_TRUE(test, is_bound(mt, drv));

	/* A failed probe leaves the device as it was. */
	vhost_bus_unbind(&mt->vdev);
	KUNIT_EXPECT_FALSE(test, device_has_driver_override(&mt->vdev.dev));
	mt->vdev.id.device = 0;
	ctx->probe_err = -EIO;
	KUNIT_EXPECT_EQ(test, vhost_bus_bind(&mt->vdev, MOCK_CLIENT), -EIO);
	KUNIT_EXPECT_FALSE(test, device_has_driver_override(&mt->vdev.dev));
	KUNIT_EXPECT_EQ(test, mt->vdev.id.device, 0);
	KUNIT_EXPECT_FALSE(test, is_bound(mt, other));
}

/*
 * The override is the driver core's own, with its locking and its sysfs
 * attribute: setting it through the driver core steers binding.
 */
static void vb_driver_override(struct kunit *test)
{
	struct vhost_bus_driver *drv, *other;
	struct mock_transport *mt;

	KUNIT_EXPECT_TRUE(test, vhost_bus_type.driver_override);
	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	other = mock_client_add(test, MOCK_OTHER_CLIENT, mock_other_ids);
	mt = mock_device_add(test, 0);

	KUNIT_ASSERT_EQ(test, vhost_bus_bind(&mt->vdev, MOCK_CLIENT), 0);
	KUNIT_EXPECT_EQ(test, device_match_driver_override(&mt->vdev.dev,
							   &drv->driver), 1);
	KUNIT_EXPECT_EQ(test, device_match_driver_override(&mt->vdev.dev,
							   &other->driver), 0);

	/* An override for another client keeps this one away. */
	device_release_driver(&mt->vdev.dev);
	KUNIT_ASSERT_EQ(test, device_set_driver_override(&mt->vdev.dev,
							 MOCK_OTHER_CLIENT), 0);
	KUNIT_EXPECT_EQ(test, device_attach(&mt->vdev.dev), 0);
	KUNIT_EXPECT_NULL(test, mt->vdev.dev.driver);
	KUNIT_ASSERT_EQ(test, device_set_driver_override(&mt->vdev.dev, ""), 0);
	KUNIT_EXPECT_EQ(test, device_attach(&mt->vdev.dev), 1);
	KUNIT_EXPECT_TRUE(test, is_bound(mt, drv));
}

/*
 * At DRIVER_OK no queue is ready before the status says DRIVER_OK: a kick
 * racing with the frontend's write cannot hand the client a chain whose
 * transfer fails with -ENOTCONN.
 */
static void vb_driver_ok_order(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, MOCK_DEVICE_ID);
	fe_driver_ok(test, mt, F0 | V1);

	KUNIT_EXPECT_FALSE(test, mt->ready_at_driver_ok);
	KUNIT_EXPECT_TRUE(test, vhost_bus_vq_ready(ctx->vqs[0]));
	fe_kick(ctx->vqs[0]);
	KUNIT_EXPECT_EQ(test, ctx->kicks[0], 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->kicks_not_live), 0);
}

/* A second thread playing the frontend or its doorbell. */
struct vb_thread {
	struct mock_transport *mt;
	struct vhost_bus_vq *vq;
	struct completion entered;
	struct task_struct *task;
	unsigned long loops;
	int unexpected;
};

static void vb_thread_stop(void *data)
{
	struct vb_thread *t = data;

	kthread_stop(t->task);
}

/* Start @fn, stopped before the device and clients go, whatever happens. */
static void vb_thread_start(struct kunit *test, struct vb_thread *t,
			    int (*fn)(void *data))
{
	init_completion(&t->entered);
	t->task = kthread_run(fn, t, "vhost_bus_kunit");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->task));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vb_thread_stop,
							t), 0);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&t->entered,
							    5 * HZ));
}

static int vb_kick_once_fn(void *data)
{
	struct vb_thread *t = data;
	unsigned long timeout = jiffies + 5 * HZ;

	/*
	 * As a doorbell handler: the queue is looked up, then the transport
	 * is told to delete the queues while the kick is on its way.
	 */
	rcu_read_lock();
	complete(&t->entered);
	while (!READ_ONCE(t->mt->del_done) && time_before(jiffies, timeout))
		cpu_relax();
	if (!READ_ONCE(t->mt->del_done))
		t->unexpected = -ETIMEDOUT;
	/* Give the core time to free the queues, if it does not wait. */
	mdelay(20);
	vhost_bus_frontend_kick(t->vq);
	rcu_read_unlock();

	while (!kthread_should_stop())
		schedule_timeout_idle(1);
	return 0;
}

/*
 * A kick under way when the queues are deleted: the core waits for it
 * before it frees them (KASAN reports a use after free otherwise).
 */
static void vb_kick_vs_del_vqs(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct vb_thread *t;
	struct vhost_bus_driver *drv;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	t->mt = mock_device_add(test, MOCK_DEVICE_ID);
	t->vq = ctx->vqs[0];

	vb_thread_start(test, t, vb_kick_once_fn);
	/* Unbinding deletes the queues. */
	mock_client_remove_driver(test, drv);
	kunit_release_action(test, vb_thread_stop, t);
	KUNIT_EXPECT_EQ(test, t->unexpected, 0);
	KUNIT_EXPECT_EQ(test, ctx->kicks[0], 0);
}

static int vb_kick_loop_fn(void *data)
{
	struct vb_thread *t = data;

	complete(&t->entered);
	while (!kthread_should_stop()) {
		fe_kick(t->vq);
		t->loops++;
		cond_resched();
	}
	return 0;
}

/*
 * Kicks on another CPU while the frontend initialises and resets the
 * device over and over: the client's callback only ever runs on a ready
 * queue of a device with DRIVER_OK set.
 */
static void vb_kick_vs_reset(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct vb_thread *t;
	unsigned int i;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	t->mt = mock_device_add(test, MOCK_DEVICE_ID);
	t->vq = ctx->vqs[0];
	ctx->quiet = true;

	vb_thread_start(test, t, vb_kick_loop_fn);
	for (i = 0; i < 200; i++) {
		fe_driver_ok(test, t->mt, F0 | V1);
		KUNIT_ASSERT_EQ(test, fe(t->mt, 0), 0);
	}
	kunit_release_action(test, vb_thread_stop, t);

	KUNIT_EXPECT_GT(test, t->loops, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->kicks_not_live), 0);
}

static int vb_status_loop_fn(void *data)
{
	static const u8 steps[] = { 0, FE_ACK, FE_DRIVER, FE_FEATURES_OK,
				    FE_DRIVER_OK };
	struct vb_thread *t = data;
	unsigned int i;
	int err;

	complete(&t->entered);
	while (!kthread_should_stop()) {
		for (i = 0; i < ARRAY_SIZE(steps); i++) {
			err = fe(t->mt, steps[i]);
			/* No client, refused features, or a reset needed. */
			if (err && err != -ENODEV && err != -EINVAL)
				t->unexpected = err;
		}
		t->loops++;
		cond_resched();
	}
	return 0;
}

/*
 * The frontend writes its status on another CPU while management unbinds
 * and binds the client: every outcome is one the frontend may see, and the
 * device ends up as good as new.
 */
static void vb_unbind_vs_status(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct vb_thread *t;
	struct vhost_bus_driver *drv;
	unsigned int i;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	t->mt = mock_device_add(test, 0);
	t->mt->driver_features = F0 | V1;
	ctx->quiet = true;

	vb_thread_start(test, t, vb_status_loop_fn);
	for (i = 0; i < 100; i++) {
		KUNIT_EXPECT_EQ(test, vhost_bus_bind(&t->mt->vdev, MOCK_CLIENT),
				0);
		vhost_bus_unbind(&t->mt->vdev);
	}
	kunit_release_action(test, vb_thread_stop, t);
	KUNIT_EXPECT_GT(test, t->loops, 0);
	KUNIT_EXPECT_EQ(test, t->unexpected, 0);

	/* Whatever happened, a reset and a bind make it work again. */
	KUNIT_ASSERT_EQ(test, fe(t->mt, 0), 0);
	KUNIT_ASSERT_EQ(test, vhost_bus_bind(&t->mt->vdev, MOCK_CLIENT), 0);
	KUNIT_EXPECT_TRUE(test, is_bound(t->mt, drv));
	fe_driver_ok(test, t->mt, F0 | V1);
	KUNIT_EXPECT_EQ(test, vhost_get_features(&t->mt->vdev), F0 | V1);
}

static struct kunit_case vhost_bus_cases[] = {
	KUNIT_CASE(vb_match),
	KUNIT_CASE(vb_uevent),
	KUNIT_CASE(vb_probe_failure_unwinds),
	KUNIT_CASE(vb_unregister_live),
	KUNIT_CASE(vb_unregister_idle),
	KUNIT_CASE(vb_unregister_client),
	KUNIT_CASE(vb_features_offer),
	KUNIT_CASE(vb_features_refused),
	KUNIT_CASE(vb_features_client_veto),
	KUNIT_CASE(vb_features_set_after_negotiation),
	KUNIT_CASE(vb_status_legal),
	KUNIT_CASE(vb_status_illegal),
	KUNIT_CASE(vb_status_device_side),
	KUNIT_CASE(vb_reset_live_queues),
	KUNIT_CASE(vb_queue_not_enabled),
	KUNIT_CASE(vb_ring_unusable),
	KUNIT_CASE(vb_driver_ok_client_error),
	KUNIT_CASE(vb_broken_ring),
	KUNIT_CASE(vb_config_generation),
	KUNIT_CASE(vb_read_write),
	KUNIT_CASE(vb_xfer_async),
	KUNIT_CASE(vb_xfer_async_wait),
	KUNIT_CASE(vb_xfer_atomic),
	KUNIT_CASE(vb_create_vqs_rules),
	KUNIT_CASE(vb_register_invalid),
	KUNIT_CASE(vb_bind_refs),
	KUNIT_CASE(vb_bind_by_name),
	KUNIT_CASE(vb_client_reload_live),
	KUNIT_CASE(vb_driver_override),
	KUNIT_CASE(vb_driver_ok_order),
	KUNIT_CASE(vb_kick_vs_del_vqs),
	KUNIT_CASE(vb_kick_vs_reset),
	KUNIT_CASE(vb_unbind_vs_status),
	{ }
};

static struct kunit_suite vhost_bus_suite = {
	.name = "vhost_bus",
	.init = vb_init,
	.test_cases = vhost_bus_cases,
};

#if IS_ENABLED(CONFIG_VHOST_BUS_CONFIGFS)

/* Ids: numbers, decimal or hex, 32 bits, never the wildcard. */
static void vbc_parse_id(struct kunit *test)
{
	u32 id = 42;

	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_id("7", &id), 0);
	KUNIT_EXPECT_EQ(test, id, 7);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_id("0x7e57\n", &id), 0);
	KUNIT_EXPECT_EQ(test, id, MOCK_DEVICE_ID);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_id("0", &id), 0);
	KUNIT_EXPECT_EQ(test, id, 0);

	id = 42;
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_id("", &id), -EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_id("net", &id), -EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_id("-1", &id), -EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_id("0xffffffff", &id),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_id("0x100000000", &id),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_id("1 2", &id), -EINVAL);
	KUNIT_EXPECT_EQ(test, id, 42);
}

/* Feature masks: any 64-bit number, nothing more. */
static void vbc_parse_features(struct kunit *test)
{
	u64 features = 42;

	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_features("0x100000001\n",
							   &features), 0);
	KUNIT_EXPECT_EQ(test, features, V1 | F0);
	KUNIT_EXPECT_EQ(test,
			vhost_bus_cfs_parse_features("18446744073709551615",
						     &features), 0);
	KUNIT_EXPECT_EQ(test, features, U64_MAX);

	features = 42;
	KUNIT_EXPECT_EQ(test,
			vhost_bus_cfs_parse_features("0x10000000000000000",
						     &features), -EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_features("0x1 0x2",
							   &features), -EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_features("", &features),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, features, 42);
}

/* Queue counts from 1 to the transport's; sizes powers of 2 up to its. */
static void vbc_parse_queues(struct kunit *test)
{
	unsigned int val = 42;

	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_num_queues("4", 4, &val), 0);
	KUNIT_EXPECT_EQ(test, val, 4);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_num_queues("1\n", 4, &val),
			0);
	KUNIT_EXPECT_EQ(test, val, 1);
	val = 42;
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_num_queues("0", 4, &val),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_num_queues("5", 4, &val),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_num_queues("two", 4, &val),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, val, 42);

	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_queue_size("256", 256, &val),
			0);
	KUNIT_EXPECT_EQ(test, val, 256);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_queue_size("0x40", 256, &val),
			0);
	KUNIT_EXPECT_EQ(test, val, 64);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_queue_size("1", 256, &val),
			0);
	KUNIT_EXPECT_EQ(test, val, 1);
	val = 42;
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_queue_size("0", 256, &val),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_queue_size("96", 256, &val),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_queue_size("512", 256, &val),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vhost_bus_cfs_parse_queue_size("-256", 256, &val),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, val, 42);
}

static int vbc_parse_name(const char *page, char *name)
{
	return vhost_bus_cfs_parse_client(page, name, VHOST_BUS_CFS_CLIENT_MAX);
}

/* Client names: one word and an optional newline; empty means none. */
static void vbc_parse_client(struct kunit *test)
{
	char name[VHOST_BUS_CFS_CLIENT_MAX] = "old";
	char long_name[VHOST_BUS_CFS_CLIENT_MAX + 1];

	KUNIT_EXPECT_EQ(test, vbc_parse_name("vhost_rpmsg", name), 0);
	KUNIT_EXPECT_STREQ(test, name, "vhost_rpmsg");
	KUNIT_EXPECT_EQ(test, vbc_parse_name("vhost-net\n", name), 0);
	KUNIT_EXPECT_STREQ(test, name, "vhost-net");
	KUNIT_EXPECT_EQ(test, vbc_parse_name("\n", name), 0);
	KUNIT_EXPECT_STREQ(test, name, "");

	strscpy(name, "old", sizeof(name));
	KUNIT_EXPECT_EQ(test, vbc_parse_name("vhost net", name), -EINVAL);
	KUNIT_EXPECT_EQ(test, vbc_parse_name("a\nb", name), -EINVAL);
	KUNIT_EXPECT_EQ(test, vbc_parse_name("a\n\n", name), -EINVAL);
	KUNIT_EXPECT_EQ(test, vbc_parse_name("\tab", name), -EINVAL);
	/* One character too many for the buffer, with its NUL. */
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	KUNIT_EXPECT_EQ(test, vbc_parse_name(long_name, name), -EINVAL);
	long_name[sizeof(long_name) - 2] = '\0';
	KUNIT_EXPECT_EQ(test, vbc_parse_name(long_name, name), 0);
	KUNIT_EXPECT_EQ(test, strlen(name), VHOST_BUS_CFS_CLIENT_MAX - 1);
	strscpy(name, "old", sizeof(name));
	KUNIT_EXPECT_EQ(test, vbc_parse_name("", name), 0);
	KUNIT_EXPECT_STREQ(test, name, "");
}

static struct configfs_attribute *vbc_attr(struct kunit *test,
					   struct config_item *item,
					   const char *name)
{
	struct configfs_attribute **attr;

	for (attr = item->ci_type->ct_attrs; *attr; attr++)
		if (!strcmp((*attr)->ca_name, name))
			return *attr;
	KUNIT_FAIL_AND_ABORT(test, "no attribute %s", name);
	return NULL;
}

static ssize_t vbc_store(struct kunit *test, struct config_item *item,
			 const char *name, const char *val)
{
	return vbc_attr(test, item, name)->store(item, val, strlen(val));
}

static const char *vbc_show(struct kunit *test, struct config_item *item,
			    const char *name)
{
	char *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	ssize_t len;

	KUNIT_ASSERT_NOT_NULL(test, page);
	/* configfs hands show() a page; sysfs_emit() insists on one. */
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED((unsigned long)page, PAGE_SIZE));
	len = vbc_attr(test, item, name)->show(item, page);
	if (len < 0)
		return ERR_PTR(len);
	return page;
}

static void vbc_drop_item(struct config_item *item)
{
	vhost_bus_cfs_drop_dev(NULL, item);
}

KUNIT_DEFINE_ACTION_WRAPPER(vbc_drop, vbc_drop_item, struct config_item *);

static struct config_item *vbc_make(struct kunit *test,
				    struct mock_transport *mt)
{
	struct config_group *group;

	group = vhost_bus_cfs_make_dev(NULL, dev_name(mt->vdev.dev.parent));
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vbc_drop,
							&group->cg_item), 0);
	return &group->cg_item;
}

/*
 * Writing "client" binds with good defaults; settings change only while
 * unbound; bad values get -EINVAL and change nothing; removing the
 * directory while bound unbinds and restores the device.
 */
static void vbc_bind_and_settings(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct vhost_bus_driver *drv;
	struct config_item *item;
	struct mock_transport *mt;

	drv = mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, 0);
	item = vbc_make(test, mt);

	KUNIT_EXPECT_STREQ(test, vbc_show(test, item, "client"), "\n");
	KUNIT_EXPECT_STREQ(test, vbc_show(test, item, "device_id"), "0x0000\n");
	KUNIT_EXPECT_STREQ(test, vbc_show(test, item, "features"),
			   "0xffffffffffffffff\n");
	KUNIT_EXPECT_STREQ(test, vbc_show(test, item, "num_queues"), "4\n");
	KUNIT_EXPECT_STREQ(test, vbc_show(test, item, "queue_size"), "256\n");

	/* Bad values: -EINVAL, nothing changes. */
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "num_queues", "5"),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "queue_size", "100"),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "device_id", "virtio"),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "client", "a b"), -EINVAL);
	KUNIT_EXPECT_STREQ(test, vbc_show(test, item, "num_queues"), "4\n");
	KUNIT_EXPECT_STREQ(test, vbc_show(test, item, "queue_size"), "256\n");
	KUNIT_EXPECT_STREQ(test, vbc_show(test, item, "device_id"), "0x0000\n");

	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "num_queues", "2\n"), 2);
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "queue_size", "64"), 2);
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "features", "0x1"), 3);
	KUNIT_EXPECT_EQ(test, mt->vdev.num_queues, 2);
	KUNIT_EXPECT_EQ(test, mt->vdev.queue_size, 64);

	/* One write binds; the client's id and the settings apply. */
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "client", MOCK_CLIENT "\n"),
			strlen(MOCK_CLIENT "\n"));
	KUNIT_EXPECT_TRUE(test, is_bound(mt, drv));
	KUNIT_EXPECT_STREQ(test, vbc_show(test, item, "client"),
			   MOCK_CLIENT "\n");
	KUNIT_EXPECT_STREQ(test, vbc_show(test, item, "device_id"), "0x7e57\n");
	KUNIT_EXPECT_EQ(test, mt->offer, F0 | V1);
	KUNIT_EXPECT_EQ(test, ctx->vqs[0]->num_max, 64);

	/* While bound: -EBUSY. */
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "device_id", "1"), -EBUSY);
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "num_queues", "1"), -EBUSY);
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "client", MOCK_CLIENT),
			-EBUSY);

	/* Unbinding keeps the settings. */
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "client", "\n"), 1);
	KUNIT_EXPECT_NULL(test, mt->vdev.dev.driver);
	KUNIT_EXPECT_STREQ(test, vbc_show(test, item, "num_queues"), "2\n");
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "client", "nobody"),
			-ENODEV);

	/* Removing the directory while bound and driven is safe. */
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "client", MOCK_CLIENT),
			strlen(MOCK_CLIENT));
	fe_driver_ok(test, mt, F0 | V1);
	log_clear(ctx);
	kunit_release_action(test, vbc_drop, item);
	KUNIT_EXPECT_STREQ(test, ctx->log,
			   "reset stop0 stop1 disable remove del");
	KUNIT_EXPECT_NULL(test, mt->vdev.dev.driver);
	KUNIT_EXPECT_FALSE(test, device_has_driver_override(&mt->vdev.dev));
	KUNIT_EXPECT_EQ(test, mt->vdev.id.device, 0);
	KUNIT_EXPECT_EQ(test, mt->vdev.num_queues, MOCK_NUM_QUEUES);
	KUNIT_EXPECT_EQ(test, mt->vdev.queue_size, MOCK_QUEUE_SIZE);
	KUNIT_EXPECT_EQ(test, mt->vdev.features_mask, U64_MAX);
}

/*
 * Directories are named after the transport's device, one each, and
 * outlive the vhost device: one that goes away leaves a directory that
 * answers -ENODEV, and is freed only with the directory.
 */
static void vbc_device_lifetime(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct config_item *item;
	struct mock_transport *mt;
	const char *name;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	KUNIT_EXPECT_PTR_EQ(test, vhost_bus_cfs_make_dev(NULL, "no-such-parent"),
			    ERR_PTR(-ENODEV));

	mt = mock_device_add(test, 0);
	mock_device_hold(test, mt);
	/* Not the kernel's name for it, which changes at each registration. */
	KUNIT_EXPECT_PTR_EQ(test,
			    vhost_bus_cfs_make_dev(NULL, dev_name(&mt->vdev.dev)),
			    ERR_PTR(-ENODEV));
	item = vbc_make(test, mt);
	name = dev_name(ctx->parent);
	KUNIT_EXPECT_STREQ(test, config_item_name(item), name);
	KUNIT_EXPECT_PTR_EQ(test, vhost_bus_cfs_make_dev(NULL, name),
			    ERR_PTR(-EEXIST));

	KUNIT_ASSERT_EQ(test, vbc_store(test, item, "client", MOCK_CLIENT),
			strlen(MOCK_CLIENT));
	log_clear(ctx);
	mock_device_remove(test, mt);
	KUNIT_EXPECT_STREQ(test, ctx->log, "disable remove del");
	/* The test's reference and the directory's. */
	KUNIT_EXPECT_EQ(test, mock_device_refs(mt), 2);

	KUNIT_EXPECT_PTR_EQ(test, vbc_show(test, item, "device_id"),
			    ERR_PTR(-ENODEV));
	KUNIT_EXPECT_PTR_EQ(test, vbc_show(test, item, "client"),
			    ERR_PTR(-ENODEV));
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "device_id", "1"), -ENODEV);
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "client", MOCK_CLIENT),
			-ENODEV);

	kunit_release_action(test, vbc_drop, item);
	KUNIT_EXPECT_EQ(test, mock_device_refs(mt), 1);
}

/* Two devices under one parent: the name would not say which. */
static void vbc_ambiguous_parent(struct kunit *test)
{
	struct mock_transport *mt;

	mt = mock_device_add(test, 0);
	mock_device_add(test, 0);
	KUNIT_EXPECT_PTR_EQ(test,
			    vhost_bus_cfs_make_dev(NULL,
						   dev_name(mt->vdev.dev.parent)),
			    ERR_PTR(-EINVAL));
}

/*
 * A new id is a new modalias: userspace hears of it with a change event,
 * and only while no client is bound.
 */
static void vbc_id_change_uevent(struct kunit *test)
{
	struct config_item *item;
	struct mock_transport *mt;
	s64 __maybe_unused seq;

	if (!IS_BUILTIN(CONFIG_VHOST_BUS_KUNIT_TEST))
		kunit_skip(test, "uevent_seqnum is not exported to modules");

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mt = mock_device_add(test, 0);
	item = vbc_make(test, mt);

#if IS_BUILTIN(CONFIG_VHOST_BUS_KUNIT_TEST)
	seq = atomic64_read(&uevent_seqnum);
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "device_id", "0x7e58"), 6);
	KUNIT_EXPECT_GT(test, atomic64_read(&uevent_seqnum), seq);

	seq = atomic64_read(&uevent_seqnum);
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "vendor_id", "0x1234"), 6);
	KUNIT_EXPECT_GT(test, atomic64_read(&uevent_seqnum), seq);
#endif
	KUNIT_EXPECT_EQ(test, mt->vdev.id.device, MOCK_OTHER_ID);
	KUNIT_EXPECT_EQ(test, mt->vdev.id.vendor, 0x1234);

	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "device_id", "0x7e57"), 6);
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "client", MOCK_CLIENT),
			strlen(MOCK_CLIENT));
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "vendor_id", "0x1"),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, mt->vdev.id.vendor, 0x1234);
}

static void vbc_drop_client_item(struct config_item *item)
{
	config_item_put(item);
}

KUNIT_DEFINE_ACTION_WRAPPER(vbc_drop_client, vbc_drop_client_item,
			    struct config_item *);

/*
 * A client's own settings: a directory named after the bound client, whose
 * attributes reach it while it is bound, and answer -ENODEV otherwise.
 */
static void vbc_client_settings(struct kunit *test)
{
	struct vb_ctx *ctx = test->priv;
	struct config_group *dir, *group;
	struct config_item *item, *cl;
	struct mock_transport *mt;

	mock_client_add(test, MOCK_CLIENT, mock_client_ids);
	mock_client_add(test, MOCK_OTHER_CLIENT, mock_other_ids);
	mt = mock_device_add(test, 0);
	item = vbc_make(test, mt);
	dir = to_config_group(item);

	/* Only the client bound, and only once it is. */
	KUNIT_EXPECT_PTR_EQ(test, vhost_bus_cfs_make_client(dir, MOCK_CLIENT),
			    ERR_PTR(-ENOENT));
	KUNIT_ASSERT_EQ(test, vbc_store(test, item, "client", MOCK_CLIENT),
			strlen(MOCK_CLIENT));
	KUNIT_EXPECT_PTR_EQ(test,
			    vhost_bus_cfs_make_client(dir, MOCK_OTHER_CLIENT),
			    ERR_PTR(-ENOENT));
	group = vhost_bus_cfs_make_client(dir, MOCK_CLIENT);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	cl = &group->cg_item;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vbc_drop_client,
							cl), 0);

	KUNIT_EXPECT_EQ(test, vbc_attr(test, cl, "knob")->ca_mode, 0644);
	KUNIT_EXPECT_EQ(test, vbc_attr(test, cl, "ro")->ca_mode, 0444);
	KUNIT_EXPECT_EQ(test, vbc_store(test, cl, "knob", "42\n"), 3);
	KUNIT_EXPECT_EQ(test, ctx->knob, 42);
	KUNIT_EXPECT_STREQ(test, vbc_show(test, cl, "knob"), "42\n");
	KUNIT_EXPECT_STREQ(test, vbc_show(test, cl, "ro"), "42\n");
	KUNIT_EXPECT_EQ(test, vbc_store(test, cl, "knob", "x"), -EINVAL);
	KUNIT_EXPECT_EQ(test, ctx->knob, 42);

	/* Unbound: nothing reaches the client; bound again: it works. */
	KUNIT_EXPECT_EQ(test, vbc_store(test, item, "client", ""), 0);
	KUNIT_EXPECT_PTR_EQ(test, vbc_show(test, cl, "knob"), ERR_PTR(-ENODEV));
	KUNIT_EXPECT_EQ(test, vbc_store(test, cl, "knob", "7"), -ENODEV);
	KUNIT_EXPECT_EQ(test, ctx->knob, 42);
	KUNIT_ASSERT_EQ(test, vbc_store(test, item, "client", MOCK_CLIENT),
			strlen(MOCK_CLIENT));
	KUNIT_EXPECT_EQ(test, vbc_store(test, cl, "knob", "7"), 1);
	KUNIT_EXPECT_EQ(test, ctx->knob, 7);
}

/* Client settings tables are checked when the client registers. */
static void vbc_client_attrs_checked(struct kunit *test)
{
	static const struct vhost_bus_client_attr neither[] = {
		{ "knob", NULL, NULL },
		{ }
	};
	struct vhost_bus_client_attr *many;
	struct vhost_bus_driver drv = {
		.driver.name = MOCK_CLIENT,
		.id_table = mock_client_ids,
		.probe = mock_client_probe,
		.remove = mock_client_remove,
		.event = mock_client_event,
		.cfs_attrs = neither,
	};
	unsigned int i;

	KUNIT_EXPECT_EQ(test, vhost_register_driver(&drv), -EINVAL);

	many = kunit_kcalloc(test, VHOST_BUS_CLIENT_MAX_ATTRS + 2,
			     sizeof(*many), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, many);
	for (i = 0; i <= VHOST_BUS_CLIENT_MAX_ATTRS; i++) {
		many[i].name = "knob";
		many[i].show = mock_knob_show;
	}
	drv.cfs_attrs = many;
	KUNIT_EXPECT_EQ(test, vhost_register_driver(&drv), -EINVAL);
}

static struct kunit_case vhost_bus_cfs_cases[] = {
	KUNIT_CASE(vbc_parse_id),
	KUNIT_CASE(vbc_parse_features),
	KUNIT_CASE(vbc_parse_queues),
	KUNIT_CASE(vbc_parse_client),
	KUNIT_CASE(vbc_bind_and_settings),
	KUNIT_CASE(vbc_device_lifetime),
	KUNIT_CASE(vbc_ambiguous_parent),
	KUNIT_CASE(vbc_id_change_uevent),
	KUNIT_CASE(vbc_client_settings),
	KUNIT_CASE(vbc_client_attrs_checked),
	{ }
};

static struct kunit_suite vhost_bus_cfs_suite = {
	.name = "vhost_bus_cfs",
	.init = vb_init,
	.test_cases = vhost_bus_cfs_cases,
};

kunit_test_suites(&vhost_bus_suite, &vhost_bus_cfs_suite);

#else

kunit_test_suites(&vhost_bus_suite);

#endif /* CONFIG_VHOST_BUS_CONFIGFS */

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for the vhost bus");
