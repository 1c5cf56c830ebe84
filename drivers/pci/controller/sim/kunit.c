// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the software PCI endpoint controller: what its endpoint
 * side refuses, how it raises a masked MSI-X vector, the context its DMA
 * engine completes in, and the mem_map() contract on a live controller.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/dmaengine.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/pci-epc.h>
#include <linux/pci-epf.h>
#include <linux/string.h>

#include "pci-epc-sim.h"

static const struct epc_sim_profile epc_sim_test_open = {
	.name = "kunit-open",
	.max_functions = 1,
	.ob_regions = 4,
	.bar_min_size = 16,
};

static const struct epc_sim_profile epc_sim_test_cadence = {
	.name = "kunit-cadence",
	.max_functions = 1,
	.ob_regions = 4,
	.bar_min_size = 128,
	.msix_ignore_mask = true,
};

/* A controller that is only memory: no host bridge, no pool, no window */
static struct epc_sim *epc_sim_test_fake(struct kunit *test,
					 const struct epc_sim_profile *p)
{
	struct epc_sim *sim;
	struct pci_epc *epc;

	sim = kunit_kzalloc(test, sizeof(*sim), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sim);
	epc = kunit_kzalloc(test, sizeof(*epc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, epc);
	sim->ob = kunit_kcalloc(test, p->ob_regions, sizeof(*sim->ob),
				GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sim->ob);

	epc->dev.init_name = "epc-sim-kunit";
	epc_set_drvdata(epc, sim);
	sim->epc = epc;
	sim->profile = p;
	mutex_init(&sim->ob_lock);
	raw_spin_lock_init(&sim->cfg_lock);

	return sim;
}

/* A 32-bit BAR register cannot hold a bus address above 4 GiB */
static void epc_sim_test_bar32_above_4g(struct kunit *test)
{
	struct epc_sim *sim = epc_sim_test_fake(test, &epc_sim_test_open);
	u64 above = SZ_4G - EPC_SIM_BAR_BUS_BASE;
	struct pci_epf_bar bar = {
		.size = SZ_4K,
		.flags = PCI_BASE_ADDRESS_MEM_TYPE_32,
	};
	u8 mem;

	/* A pool whose bus window crosses 4 GiB */
	sim->pool_phys = SZ_4G;
	sim->pool_size = SZ_1G;
	bar.addr = &mem;

	bar.barno = BAR_0;
	bar.phys_addr = sim->pool_phys;
	KUNIT_EXPECT_EQ(test, epc_sim_ops.set_bar(sim->epc, 0, 0, &bar), 0);

	bar.barno = BAR_2;
	bar.phys_addr = sim->pool_phys + above;
	KUNIT_EXPECT_EQ(test, epc_sim_ops.set_bar(sim->epc, 0, 0, &bar),
			-EINVAL);

	bar.phys_addr = sim->pool_phys + above;
	bar.flags |= PCI_BASE_ADDRESS_MEM_TYPE_64;
	KUNIT_EXPECT_EQ(test, epc_sim_ops.set_bar(sim->epc, 0, 0, &bar), 0);
	KUNIT_EXPECT_EQ(test, epc_sim_cfg32(&sim->func[0], PCI_BASE_ADDRESS_3),
			1U);
}

/* CPU accesses through window memory cannot reach PCI: map_addr() says so */
static void epc_sim_test_map_addr_refused(struct kunit *test)
{
	struct epc_sim *sim = epc_sim_test_fake(test, &epc_sim_test_open);

	sim->ob_res = DEFINE_RES_MEM(2 * EPC_SIM_RAM_BUS_OFFSET, SZ_1M);
	KUNIT_EXPECT_EQ(test, epc_sim_ops.map_addr(sim->epc, 0, 0,
						   sim->ob_res.start,
						   EPC_SIM_BAR_BUS_BASE, SZ_4K),
			-EOPNOTSUPP);
}

/*
 * Raise vector 1 of a function whose MSI-X table, in BAR0, masks it. The
 * message goes to an address that is not the doorbell, so a message that
 * is sent fails with -EIO. Returns what raising returned, and the PBA
 * byte in @pba.
 */
static int epc_sim_test_raise_masked(struct kunit *test,
				     const struct epc_sim_profile *p, u8 *pba)
{
	struct epc_sim *sim = epc_sim_test_fake(test, p);
	struct epc_sim_func *f = &sim->func[0];
	unsigned int cap = EPC_SIM_MSIX_CAP;
	u32 pba_off = 4 * PCI_MSIX_ENTRY_SIZE;
	u8 *bar;
	int ret;

	bar = kunit_kzalloc(test, SZ_4K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bar);
	f->bar[BAR_0].virt = bar;
	f->bar[BAR_0].size = SZ_4K;
	f->bar[BAR_0].aperture = SZ_4K;
	f->header = true;
	f->msix_count = 4;
	sim->link_up = true;
	epc_sim_set16(f->cfg, PCI_COMMAND, PCI_COMMAND_MASTER);
	epc_sim_set16(f->cfg, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | 3);
	epc_sim_set32(f->cfg, cap + PCI_MSIX_TABLE, BAR_0);
	epc_sim_set32(f->cfg, cap + PCI_MSIX_PBA, pba_off | BAR_0);

	put_unaligned_le32(SZ_4K, bar + PCI_MSIX_ENTRY_LOWER_ADDR);
	put_unaligned_le32(PCI_MSIX_ENTRY_CTRL_MASKBIT,
			   bar + PCI_MSIX_ENTRY_VECTOR_CTRL);

	ret = epc_sim_raise_msix(sim, 0, 1);
	*pba = bar[pba_off];

	return ret;
}

/* PCI: a masked vector sets its pending bit and sends nothing */
static void epc_sim_test_msix_masked_pending(struct kunit *test)
{
	u8 pba;

	KUNIT_EXPECT_EQ(test, epc_sim_test_raise_masked(test, &epc_sim_test_open,
							&pba), 0);
	KUNIT_EXPECT_EQ(test, pba, 1);
}

/* Cadence: the message is sent whatever the mask says */
static void epc_sim_test_msix_masked_cadence(struct kunit *test)
{
	u8 pba;

	KUNIT_EXPECT_EQ(test, epc_sim_test_raise_masked(test, &epc_sim_test_cadence,
							&pba), -EIO);
	KUNIT_EXPECT_EQ(test, pba, 0);
}

struct epc_sim_test_dma {
	struct completion done;
	bool in_softirq;
	bool atomic;
};

static void epc_sim_test_dma_callback(void *param)
{
	struct epc_sim_test_dma *t = param;

	t->in_softirq = in_softirq();
	t->atomic = !preemptible();
	complete(&t->done);
}

static bool epc_sim_test_dma_filter(struct dma_chan *chan, void *param)
{
	return !strcmp(dev_name(chan->device->dev), EPC_SIM_NAME "-dma");
}

/*
 * The engine's channels are private, and complete in the atomic context a
 * hardware engine's tasklet gives its clients.
 */
static void epc_sim_test_dma(struct kunit *test)
{
	struct epc_sim_test_dma t = {};
	struct dma_async_tx_descriptor *tx;
	dma_addr_t src_dma, dst_dma;
	struct dma_device *dd;
	struct dma_chan *chan;
	dma_cap_mask_t mask;
	struct device *dev;
	u8 *src, *dst;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_channel(mask, epc_sim_test_dma_filter, NULL);
	if (!chan)
		kunit_skip(test, "no " EPC_SIM_NAME "-dma channel (pci_epc_sim.mem=)");
	dd = chan->device;
	dev = dd->dev;

	src = kunit_kmalloc(test, 256, GFP_KERNEL);
	dst = kunit_kzalloc(test, 256, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	memset(src, 0x5a, 256);
	src_dma = dma_map_single(dev, src, 256, DMA_TO_DEVICE);
	dst_dma = dma_map_single(dev, dst, 256, DMA_FROM_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, src_dma));
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, dst_dma));

	init_completion(&t.done);
	tx = dmaengine_prep_dma_memcpy(chan, dst_dma, src_dma, 256,
				       DMA_PREP_INTERRUPT);
	KUNIT_ASSERT_NOT_NULL(test, tx);
	tx->callback = epc_sim_test_dma_callback;
	tx->callback_param = &t;
	KUNIT_EXPECT_GE(test, dmaengine_submit(tx), DMA_MIN_COOKIE);
	dma_async_issue_pending(chan);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&t.done, 10 * HZ), 0);
	dmaengine_synchronize(chan);

	dma_unmap_single(dev, dst_dma, 256, DMA_FROM_DEVICE);
	dma_unmap_single(dev, src_dma, 256, DMA_TO_DEVICE);
	dma_release_channel(chan);

	KUNIT_EXPECT_EQ(test, memcmp(dst, src, 256), 0);
	KUNIT_EXPECT_TRUE(test, t.in_softirq);
	KUNIT_EXPECT_TRUE(test, t.atomic);
	/* Still private once the last channel is back */
	KUNIT_EXPECT_TRUE(test, dma_has_cap(DMA_PRIVATE, dd->cap_mask));
}

/*
 * The mem_map() contract on a live controller: @phys_addr is the CPU
 * physical address behind @virt_addr, for RC memory and for a BAR; RC
 * memory is reached at its DMA address, not at its physical address.
 */
static void epc_sim_test_mem_map(struct kunit *test)
{
	struct pci_epc_map map = {};
	phys_addr_t phys;
	struct epc_sim *sim;
	struct pci_epc *epc;
	u8 *buf;
	int ret;

	epc = pci_epc_get(EPC_SIM_NAME ".0");
	if (IS_ERR(epc))
		kunit_skip(test, "no controller (pci_epc_sim.mem=)");
	sim = epc_get_drvdata(epc);

	buf = kunit_kzalloc(test, SZ_4K, GFP_KERNEL);
	if (!buf)
		goto out;
	phys = virt_to_phys(buf);

	/* A physical address is not where the RC's memory is on the bus */
	if (phys + SZ_4K <= EPC_SIM_MSI_DOORBELL)
		KUNIT_EXPECT_EQ(test, pci_epc_mem_map(epc, 0, 0, phys, 64, &map),
				-EFAULT);

	ret = pci_epc_mem_map(epc, 0, 0,
			      phys + EPC_SIM_RAM_BUS_OFFSET + 96, 64, &map);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret) {
		KUNIT_EXPECT_EQ(test, map.phys_addr, phys + 96);
		writel(0x12345678, map.virt_addr);
		KUNIT_EXPECT_EQ(test, get_unaligned_le32(buf + 96), 0x12345678);
		pci_epc_mem_unmap(epc, 0, 0, &map);
	}

	/*
	 * A BAR, at its bus address: the pool memory behind it, which a
	 * mapping of @phys_addr of its own sees written through @virt_addr.
	 */
	ret = pci_epc_mem_map(epc, 0, 0, EPC_SIM_BAR_BUS_BASE + SZ_8K, 64,
			      &map);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret) {
		void *other;

		KUNIT_EXPECT_EQ(test, map.phys_addr, sim->pool_phys + SZ_8K);
		other = memremap(map.phys_addr, 64, MEMREMAP_WC);
		KUNIT_EXPECT_NOT_NULL(test, other);
		if (other) {
			writel(0x87654321, map.virt_addr);
			KUNIT_EXPECT_EQ(test, readl((void __iomem __force *)other),
					0x87654321);
			writel(0, map.virt_addr);
			memunmap(other);
		}
		pci_epc_mem_unmap(epc, 0, 0, &map);
	}
out:
	pci_epc_put(epc);
}

static struct kunit_case epc_sim_test_cases[] = {
	KUNIT_CASE(epc_sim_test_bar32_above_4g),
	KUNIT_CASE(epc_sim_test_map_addr_refused),
	KUNIT_CASE(epc_sim_test_msix_masked_pending),
	KUNIT_CASE(epc_sim_test_msix_masked_cadence),
	KUNIT_CASE(epc_sim_test_dma),
	KUNIT_CASE(epc_sim_test_mem_map),
	{}
};

static struct kunit_suite epc_sim_test_suite = {
	.name = "pci_epc_sim",
	.test_cases = epc_sim_test_cases,
};

kunit_test_suite(epc_sim_test_suite);
