// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the root complex side of virtio-pci-epf.
 *
 * The tests play the endpoint: BAR 0 and the host region are ordinary
 * memory, the endpoint's writes are plain stores, and what the library
 * wrote across the link is read back from the "BAR". Each check of the
 * identity and device blocks is fed the values the specification refuses,
 * one at a time, next to a good block that must be taken.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/virtio_pci_epf.h>

#define TEST_BAR_LEN		SZ_128K
#define TEST_HOST_SIZE		SZ_64K
#define TEST_HOST_ADDR		0x10000000000ULL
#define TEST_IRQ		virtio_pci_epf_irq(VIRTIO_PCI_EPF_IRQ_MSI, 1)

struct vpd_test {
	struct virtio_pci_epf_device vpd;
	void *bar;
	void *host;
	struct virtio_pci_epf_ident *ident;
	struct virtio_pci_epf_notify *notify;
	struct virtio_pci_epf_driver_block *drv;
	struct virtio_pci_epf_device_block *blk;
};

/* A function that just started, and an RC that has not looked at it. */
static void vpd_test_reset(struct vpd_test *t)
{
	struct device *dev = t->vpd.dev;

	memset(t->bar, 0, TEST_BAR_LEN);
	memset(t->host, 0, TEST_HOST_SIZE);
	memset(&t->vpd, 0, sizeof(t->vpd));
	t->vpd.dev = dev;
	t->vpd.bar = (void __force __iomem *)t->bar;
	t->vpd.bar_len = TEST_BAR_LEN;
	t->vpd.host = t->host;
	t->vpd.host_addr = TEST_HOST_ADDR;
	t->vpd.host_size = TEST_HOST_SIZE;

	t->ident->magic = cpu_to_le32(VIRTIO_PCI_EPF_MAGIC);
	t->ident->version = cpu_to_le32(VIRTIO_PCI_EPF_VERSION);
	t->ident->session = cpu_to_le32(0x1234);
	t->ident->bar_size = cpu_to_le32(SZ_64K);
	t->ident->doorbell = cpu_to_le32(VIRTIO_PCI_EPF_DOORBELL_POLLED);
}

static struct vpd_test *vpd_test_init(struct kunit *test)
{
	struct vpd_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->bar = kunit_kzalloc(test, TEST_BAR_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->bar);
	t->host = kunit_kzalloc(test, TEST_HOST_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->host);
	t->vpd.dev = kunit_device_register(test, "virtio_pci_epf_kunit");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->vpd.dev);

	t->ident = t->bar + VIRTIO_PCI_EPF_IDENT;
	t->notify = t->bar + VIRTIO_PCI_EPF_NOTIFY;
	t->drv = t->bar + VIRTIO_PCI_EPF_DRIVER;
	t->blk = t->host;
	vpd_test_reset(t);
	return t;
}

/* The endpoint publishes a device for the current connection. */
static void vpd_test_publish(struct vpd_test *t)
{
	t->blk->version = cpu_to_le32(VIRTIO_PCI_EPF_VERSION);
	t->blk->vendor_id = cpu_to_le32(0x1af4);
	t->blk->device_features = cpu_to_le64(BIT_ULL(32) | BIT_ULL(5));
	t->blk->num_queues = cpu_to_le16(3);
	t->blk->queue_size_max[0] = cpu_to_le16(256);
	t->blk->queue_size_max[1] = cpu_to_le16(256);
	t->blk->queue_size_max[2] = cpu_to_le16(0);
	t->blk->config_len = cpu_to_le16(8);
	t->blk->session = cpu_to_le32(t->vpd.session);
	t->blk->status_ack = t->drv->status_seq;
	t->blk->device_id = cpu_to_le32(1);
	t->blk->magic = cpu_to_le32(VIRTIO_PCI_EPF_MAGIC);
}

static void vpd_test_ident_good(struct kunit *test)
{
	struct vpd_test *t = vpd_test_init(test);

	KUNIT_EXPECT_EQ(test, virtio_pci_epf_check_ident(&t->vpd), 0);
	KUNIT_EXPECT_EQ(test, t->vpd.ep_session, 0x1234);
	KUNIT_EXPECT_EQ(test, t->vpd.bar_size, SZ_64K);

	/* All of a BAR may be in use. */
	t->ident->bar_size = cpu_to_le32(TEST_BAR_LEN);
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_check_ident(&t->vpd), 0);
	KUNIT_EXPECT_EQ(test, t->vpd.bar_size, TEST_BAR_LEN);
}

static void vpd_test_ident_bad(struct kunit *test)
{
	static const struct {
		unsigned int field;	/* u32 index in the identity block */
		u32 value;
		int err;
	} cases[] = {
		{ 0, 0xffffffff, -ENODEV },		/* link down */
		{ 0, 0, -EAGAIN },			/* starting */
		{ 0, 0x564e5442, -EPROTONOSUPPORT },	/* virtio-ntb's */
		{ 1, 2, -EPROTONOSUPPORT },		/* version */
		{ 1, 0, -EPROTONOSUPPORT },
		{ 2, 0, -EINVAL },			/* session 0 */
		{ 2, 0xffffffff, 0 },			/* all ones elsewhere */
		{ 3, SZ_64K - SZ_4K, -EINVAL },		/* BAR too small */
		{ 3, SZ_64K + 1, -EINVAL },		/* not 4 KiB units */
		{ 3, TEST_BAR_LEN + SZ_4K, -EINVAL },	/* past the BAR */
		{ 3, 0xfffff000, -EINVAL },
		{ 4, 1, -EINVAL },			/* unknown doorbell */
	};
	struct vpd_test *t = vpd_test_init(test);
	__le32 *words = (__le32 *)t->ident;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		vpd_test_reset(t);
		words[cases[i].field] = cpu_to_le32(cases[i].value);
		KUNIT_EXPECT_EQ_MSG(test, virtio_pci_epf_check_ident(&t->vpd),
				    cases[i].err, "case %u", i);
		if (!cases[i].err)
			continue;
		/* Nothing of a refused identity is taken. */
		KUNIT_EXPECT_EQ_MSG(test, t->vpd.ep_session, 0, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, t->vpd.bar_size, 0, "case %u", i);
	}
}

static void vpd_test_poll_ident(struct kunit *test)
{
	struct vpd_test *t = vpd_test_init(test);

	KUNIT_ASSERT_EQ(test, virtio_pci_epf_check_ident(&t->vpd), 0);
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_poll_ident(&t->vpd), 0);

	t->ident->session = cpu_to_le32(0x1235);
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_poll_ident(&t->vpd), -ESTALE);
	t->ident->session = cpu_to_le32(0x1234);
	t->ident->magic = 0;
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_poll_ident(&t->vpd), -ESTALE);
	t->ident->magic = cpu_to_le32(0xffffffff);
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_poll_ident(&t->vpd), -ENODEV);

	/* A restart is taken by checking the identity again. */
	t->ident->magic = cpu_to_le32(VIRTIO_PCI_EPF_MAGIC);
	t->ident->session = cpu_to_le32(0x1235);
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_check_ident(&t->vpd), 0);
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_poll_ident(&t->vpd), 0);
}

static void vpd_test_connect(struct kunit *test)
{
	struct vpd_test *t = vpd_test_init(test);
	u32 irq = virtio_pci_epf_irq(VIRTIO_PCI_EPF_IRQ_MSIX, 5);
	u32 first;

	/* An earlier driver left ctrl odd: this one counts on, even. */
	t->notify->ctrl = cpu_to_le32(7);
	KUNIT_ASSERT_EQ(test, virtio_pci_epf_check_ident(&t->vpd), 0);
	KUNIT_EXPECT_EQ(test, t->vpd.ctrl, 8);
	/* Left over from an earlier connection: zeroed before it is given. */
	memset(t->vpd.host, 0xa5, TEST_HOST_SIZE);
	t->drv->queues[7].size = cpu_to_le16(64);
	t->notify->queue[3] = cpu_to_le32(57);

	virtio_pci_epf_connect(&t->vpd, irq);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(t->vpd.host, 0, TEST_HOST_SIZE));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->drv->magic), VIRTIO_PCI_EPF_MAGIC);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->drv->version),
			VIRTIO_PCI_EPF_VERSION);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(t->drv->host_addr), TEST_HOST_ADDR);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->drv->host_size), TEST_HOST_SIZE);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->drv->irq), 3 | 5 << 8);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->drv->ep_session), 0x1234);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(t->drv->queues[7].size), 0);
	/* The EP compares notify words with what it saw: from 0 again. */
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->notify->queue[3]), 0);
	KUNIT_EXPECT_NE(test, le32_to_cpu(t->drv->session), 0);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->drv->session), t->vpd.session);
	/* Odd while the block was rewritten, even once it is whole. */
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->notify->ctrl), 10);
	KUNIT_EXPECT_FALSE(test, virtio_pci_epf_connected(&t->vpd));
	first = t->vpd.session;

	/* Each connection has a session of its own. */
	virtio_pci_epf_connect(&t->vpd, irq);
	KUNIT_EXPECT_NE(test, t->vpd.session, first);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->drv->session), t->vpd.session);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->notify->ctrl), 12);

	/* The EP takes the connection. */
	t->blk->session = cpu_to_le32(first);
	KUNIT_EXPECT_FALSE(test, virtio_pci_epf_connected(&t->vpd));
	t->blk->session = cpu_to_le32(t->vpd.session);
	KUNIT_EXPECT_TRUE(test, virtio_pci_epf_connected(&t->vpd));

	/* A disconnection keeps the block, but for the magic, for the EP. */
	virtio_pci_epf_disconnect(&t->vpd);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->drv->magic), 0);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(t->drv->host_addr), TEST_HOST_ADDR);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->notify->ctrl), 14);
	KUNIT_EXPECT_FALSE(test, virtio_pci_epf_disconnect_acked(&t->vpd));
	t->blk->disconnect_ack = cpu_to_le32(first);
	KUNIT_EXPECT_FALSE(test, virtio_pci_epf_disconnect_acked(&t->vpd));
	t->blk->disconnect_ack = cpu_to_le32(t->vpd.session);
	KUNIT_EXPECT_TRUE(test, virtio_pci_epf_disconnect_acked(&t->vpd));
}

static void vpd_test_device(struct kunit *test)
{
	struct vpd_test *t = vpd_test_init(test);
	struct virtio_pci_epf_device_info info;

	KUNIT_ASSERT_EQ(test, virtio_pci_epf_check_ident(&t->vpd), 0);
	virtio_pci_epf_connect(&t->vpd, TEST_IRQ);
	KUNIT_EXPECT_FALSE(test, virtio_pci_epf_device_present(&t->vpd));

	vpd_test_publish(t);
	KUNIT_EXPECT_TRUE(test, virtio_pci_epf_device_present(&t->vpd));
	/* A size past num_queues is not looked at. */
	t->blk->queue_size_max[3] = cpu_to_le16(3);
	KUNIT_ASSERT_EQ(test, virtio_pci_epf_read_device(&t->vpd, &info), 0);
	KUNIT_EXPECT_EQ(test, info.device_id, 1);
	KUNIT_EXPECT_EQ(test, info.vendor_id, 0x1af4);
	KUNIT_EXPECT_EQ(test, info.features, BIT_ULL(32) | BIT_ULL(5));
	KUNIT_EXPECT_EQ(test, info.num_queues, 3);
	KUNIT_EXPECT_EQ(test, info.queue_size_max[0], 256);
	KUNIT_EXPECT_EQ(test, info.queue_size_max[2], 0);
	KUNIT_EXPECT_EQ(test, info.queue_size_max[3], 0);

	/* A device that went while it was read is read again later. */
	t->blk->device_id = 0;
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_read_device(&t->vpd, &info),
			-EAGAIN);
	t->blk->device_id = cpu_to_le32(1);

	/* A block of another connection, or of none, shows no device. */
	t->blk->session = cpu_to_le32(t->vpd.session + 1);
	KUNIT_EXPECT_FALSE(test, virtio_pci_epf_device_present(&t->vpd));
	t->blk->session = cpu_to_le32(t->vpd.session);
	t->blk->device_id = 0;
	KUNIT_EXPECT_FALSE(test, virtio_pci_epf_device_present(&t->vpd));
	t->blk->device_id = cpu_to_le32(1);
	t->blk->magic = cpu_to_le32(0x564e5442);
	KUNIT_EXPECT_FALSE(test, virtio_pci_epf_device_present(&t->vpd));
}

static void vpd_test_device_bad(struct kunit *test)
{
	static const struct {
		unsigned int num_queues;
		unsigned int queue;
		unsigned int size;
		unsigned int config_len;
		u32 version;
	} cases[] = {
		{ VIRTIO_PCI_EPF_MAX_QUEUES + 1, 0, 256, 8, 1 },
		{ 0xffff, 0, 256, 8, 1 },
		{ 3, 1, 3, 8, 1 },
		{ 3, 2, 0xffff, 8, 1 },
		{ 3, 0, VIRTIO_PCI_EPF_MAX_QUEUE_SIZE + 1, 8, 1 },	/* not 2^n */
		{ 3, 0, 256, VIRTIO_PCI_EPF_CONFIG_SIZE + 1, 1 },
		{ 3, 0, 256, 0xffff, 1 },
		{ 3, 0, 256, 8, 2 },
	};
	struct vpd_test *t = vpd_test_init(test);
	struct virtio_pci_epf_device_info info;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		vpd_test_reset(t);
		KUNIT_ASSERT_EQ(test, virtio_pci_epf_check_ident(&t->vpd), 0);
		virtio_pci_epf_connect(&t->vpd, TEST_IRQ);
		vpd_test_publish(t);
		t->blk->num_queues = cpu_to_le16(cases[i].num_queues);
		t->blk->queue_size_max[cases[i].queue] =
			cpu_to_le16(cases[i].size);
		t->blk->config_len = cpu_to_le16(cases[i].config_len);
		t->blk->version = cpu_to_le32(cases[i].version);
		KUNIT_EXPECT_EQ_MSG(test,
				    virtio_pci_epf_read_device(&t->vpd, &info),
				    -EINVAL, "case %u", i);
	}

	/* The largest of each is taken. */
	vpd_test_reset(t);
	KUNIT_ASSERT_EQ(test, virtio_pci_epf_check_ident(&t->vpd), 0);
	virtio_pci_epf_connect(&t->vpd, TEST_IRQ);
	vpd_test_publish(t);
	t->blk->num_queues = cpu_to_le16(VIRTIO_PCI_EPF_MAX_QUEUES);
	t->blk->queue_size_max[VIRTIO_PCI_EPF_MAX_QUEUES - 1] =
		cpu_to_le16(VIRTIO_PCI_EPF_MAX_QUEUE_SIZE);
	t->blk->config_len = cpu_to_le16(VIRTIO_PCI_EPF_CONFIG_SIZE);
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_read_device(&t->vpd, &info), 0);
	KUNIT_EXPECT_EQ(test, info.queue_size_max[VIRTIO_PCI_EPF_MAX_QUEUES - 1],
			VIRTIO_PCI_EPF_MAX_QUEUE_SIZE);
}

static void vpd_test_status(struct kunit *test)
{
	struct vpd_test *t = vpd_test_init(test);
	struct virtio_pci_epf_device_info info;
	u32 seq, first;

	KUNIT_ASSERT_EQ(test, virtio_pci_epf_check_ident(&t->vpd), 0);
	virtio_pci_epf_connect(&t->vpd, TEST_IRQ);
	vpd_test_publish(t);
	KUNIT_ASSERT_EQ(test, virtio_pci_epf_read_device(&t->vpd, &info), 0);

	virtio_pci_epf_set_features(&t->vpd, 0x123456789abcdefULL);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(t->drv->driver_features),
			0x123456789abcdefULL);
	seq = virtio_pci_epf_write_status(&t->vpd, 0x0b);
	KUNIT_EXPECT_EQ(test, seq, 1);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->drv->status), 0x0b);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->drv->status_seq), 1);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->notify->ctrl), 4);
	KUNIT_EXPECT_FALSE(test, virtio_pci_epf_status_acked(&t->vpd, seq));

	/* The device refuses the features: FEATURES_OK is not set. */
	t->blk->status = cpu_to_le32(0x03);
	t->blk->status_ack = cpu_to_le32(seq);
	KUNIT_EXPECT_TRUE(test, virtio_pci_epf_status_acked(&t->vpd, seq));
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_get_status(&t->vpd), 0x03);

	/* An older acknowledgment is not this one's. */
	seq = virtio_pci_epf_write_status(&t->vpd, 0);
	KUNIT_EXPECT_EQ(test, seq, 2);
	KUNIT_EXPECT_FALSE(test, virtio_pci_epf_status_acked(&t->vpd, seq));

	/*
	 * A new connection: an acknowledgment left in the block by the one
	 * before does not count, and status writes are numbered on from the
	 * acknowledgment of the device block taken.
	 */
	first = t->vpd.session;
	virtio_pci_epf_connect(&t->vpd, TEST_IRQ);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->drv->status_seq), 0);
	t->blk->session = cpu_to_le32(first);
	t->blk->status_ack = cpu_to_le32(1);
	KUNIT_EXPECT_FALSE(test, virtio_pci_epf_status_acked(&t->vpd, 1));
	vpd_test_publish(t);
	t->blk->status_ack = cpu_to_le32(41);
	KUNIT_ASSERT_EQ(test, virtio_pci_epf_read_device(&t->vpd, &info), 0);
	seq = virtio_pci_epf_write_status(&t->vpd, 1);
	KUNIT_EXPECT_EQ(test, seq, 42);
	KUNIT_EXPECT_FALSE(test, virtio_pci_epf_status_acked(&t->vpd, seq));
	t->blk->status_ack = cpu_to_le32(seq);
	KUNIT_EXPECT_TRUE(test, virtio_pci_epf_status_acked(&t->vpd, seq));
}

static void vpd_test_config(struct kunit *test)
{
	struct vpd_test *t = vpd_test_init(test);
	u8 buf[16];
	unsigned int i;

	KUNIT_ASSERT_EQ(test, virtio_pci_epf_check_ident(&t->vpd), 0);
	virtio_pci_epf_connect(&t->vpd, TEST_IRQ);
	vpd_test_publish(t);
	for (i = 0; i < VIRTIO_PCI_EPF_CONFIG_SIZE; i++)
		t->blk->config[i] = i + 1;

	t->blk->config_generation = cpu_to_le32(4);
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_config_generation(&t->vpd), 4);

	/* Past config_len, and past the space, the bytes read as 0. */
	virtio_pci_epf_get_config(&t->vpd, 4, buf, 8);
	KUNIT_EXPECT_EQ(test, buf[0], 5);
	KUNIT_EXPECT_EQ(test, buf[3], 8);
	KUNIT_EXPECT_EQ(test, buf[4], 0);
	KUNIT_EXPECT_EQ(test, buf[7], 0);
	t->blk->config_len = cpu_to_le16(0xffff);
	memset(buf, 0xff, sizeof(buf));
	virtio_pci_epf_get_config(&t->vpd, VIRTIO_PCI_EPF_CONFIG_SIZE - 2,
				  buf, sizeof(buf));
	KUNIT_EXPECT_EQ(test, buf[0], VIRTIO_PCI_EPF_CONFIG_SIZE - 1);
	KUNIT_EXPECT_EQ(test, buf[1],
			t->blk->config[VIRTIO_PCI_EPF_CONFIG_SIZE - 1]);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf + 2, 0, sizeof(buf) - 2));
	virtio_pci_epf_get_config(&t->vpd, 0x10000, buf, sizeof(buf));
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf, 0, sizeof(buf)));

	/* A device that stopped midway is not waited for forever. */
	t->blk->config_generation = cpu_to_le32(5);
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_config_generation(&t->vpd), 5);
}

static void vpd_test_queues(struct kunit *test)
{
	struct vpd_test *t = vpd_test_init(test);
	u64 desc = virtio_pci_epf_addr(VIRTIO_PCI_EPF_ADDR_BAR, 0x2000);
	u64 avail = virtio_pci_epf_addr(VIRTIO_PCI_EPF_ADDR_BAR, 0x3000);
	u64 used = virtio_pci_epf_addr(VIRTIO_PCI_EPF_ADDR_HOST, 0x1000);

	KUNIT_ASSERT_EQ(test, virtio_pci_epf_check_ident(&t->vpd), 0);
	virtio_pci_epf_connect(&t->vpd, TEST_IRQ);

	KUNIT_EXPECT_EQ(test, desc, 0x0002000000002000ULL);
	KUNIT_EXPECT_EQ(test, used, 0x0001000000001000ULL);
	virtio_pci_epf_set_queue(&t->vpd, 63, desc, avail, used, 256);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(t->drv->queues[63].desc), desc);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(t->drv->queues[63].avail), avail);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(t->drv->queues[63].used), used);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(t->drv->queues[63].size), 256);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(t->drv->queues[63].enable), 1);
	virtio_pci_epf_set_queue(&t->vpd, 63, 0, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(t->drv->queues[63].enable), 0);

	virtio_pci_epf_notify_queue(&t->vpd, 5, 0xfffe);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->notify->queue[5]), 0xfffe);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(t->notify->queue[4]), 0);

	KUNIT_EXPECT_EQ(test, virtio_pci_epf_queue_vector(0, 1), 0);
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_queue_vector(0, 5), 1);
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_queue_vector(3, 5), 4);
	KUNIT_EXPECT_EQ(test, virtio_pci_epf_queue_vector(4, 5), 1);
}

static struct kunit_case vpd_test_cases[] = {
	KUNIT_CASE(vpd_test_ident_good),
	KUNIT_CASE(vpd_test_ident_bad),
	KUNIT_CASE(vpd_test_poll_ident),
	KUNIT_CASE(vpd_test_connect),
	KUNIT_CASE(vpd_test_device),
	KUNIT_CASE(vpd_test_device_bad),
	KUNIT_CASE(vpd_test_status),
	KUNIT_CASE(vpd_test_config),
	KUNIT_CASE(vpd_test_queues),
	{}
};

static struct kunit_suite vpd_test_suite = {
	.name = "virtio_pci_epf",
	.test_cases = vpd_test_cases,
};

kunit_test_suite(vpd_test_suite);

MODULE_DESCRIPTION("KUnit tests for the root complex side of virtio-pci-epf");
MODULE_LICENSE("GPL");
