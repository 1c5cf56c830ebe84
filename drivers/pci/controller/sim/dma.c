// SPDX-License-Identifier: GPL-2.0-only
/*
 * Software PCI endpoint controller: a memcpy DMA engine on the endpoint
 * side. Like the system DMA of an SoC, it reaches local memory and, through
 * the controllers' outbound windows, PCI.
 */

#include <linux/dmaengine.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "pci-epc-sim.h"

#define EPC_SIM_DMA_CHANNELS	4

struct epc_sim_dma_desc {
	struct dma_async_tx_descriptor tx;
	struct list_head node;
	dma_addr_t dst;
	dma_addr_t src;
	size_t len;
};

/**
 * struct epc_sim_dma_chan - one channel
 * @chan: the dmaengine channel
 * @lock: protects @submitted, @issued, @error_cookie and the cookies in
 *	@chan
 * @submitted: descriptors submitted, not yet issued
 * @issued: descriptors issued, in order
 * @error_cookie: the last descriptor that failed
 * @work: runs the issued descriptors
 */
struct epc_sim_dma_chan {
	struct dma_chan chan;
	spinlock_t lock;	/* lists, cookies, error_cookie */
	struct list_head submitted;
	struct list_head issued;
	dma_cookie_t error_cookie;
	struct work_struct work;
};

/**
 * struct epc_sim_dma - the DMA engine
 * @dma: the dmaengine device
 * @wq: runs the channels' work; clients may wait for it from reclaim
 *	context (dmaengine_terminate_sync() from a WQ_MEM_RECLAIM worker)
 * @chan: the channels
 */
struct epc_sim_dma {
	struct dma_device dma;
	struct workqueue_struct *wq;
	struct epc_sim_dma_chan chan[EPC_SIM_DMA_CHANNELS];
};

static struct epc_sim_dma *epc_sim_dma;

static struct epc_sim_dma_chan *to_sim_chan(struct dma_chan *chan)
{
	return container_of(chan, struct epc_sim_dma_chan, chan);
}

/*
 * Where the memory behind a DMA address is: BAR memory in a controller's
 * pool or local memory (the clients map their buffers for the engine,
 * which has no IOMMU). The RC side is at the physical addresses that
 * pci_epc_mem_map() returns; the outbound windows themselves have nothing
 * behind them, as map_addr() is refused.
 */
static int epc_sim_dma_resolve(dma_addr_t addr, size_t len, phys_addr_t *phys,
			       bool *ram)
{
	struct epc_sim *sim;

	lockdep_assert_held(&epc_sim_list_lock);

	list_for_each_entry(sim, &epc_sim_list, node) {
		if (addr >= sim->pool_phys &&
		    addr - sim->pool_phys < sim->pool_size) {
			*phys = addr;
			*ram = false;
			return 0;
		}
	}

	*phys = addr;
	*ram = true;
	if (region_intersects(addr, len, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_INTERSECTS)
		return -EFAULT;

	return 0;
}

static void *epc_sim_dma_memremap(dma_addr_t addr, size_t len)
{
	phys_addr_t phys;
	bool ram;
	int ret;

	mutex_lock(&epc_sim_list_lock);
	ret = epc_sim_dma_resolve(addr, len, &phys, &ram);
	mutex_unlock(&epc_sim_list_lock);
	if (ret) {
		dev_err_ratelimited(epc_sim_dma->dma.dev,
				    "no memory at DMA address %pad+%#zx\n",
				    &addr, len);
		return NULL;
	}

	/* BAR memory is mapped write-combining by its owner: match it */
	return memremap(phys, len, ram ? MEMREMAP_WB : MEMREMAP_WC);
}

static int epc_sim_dma_copy(struct epc_sim_dma_desc *desc)
{
	void *dst, *src;
	int ret = -EFAULT;

	dst = epc_sim_dma_memremap(desc->dst, desc->len);
	if (!dst)
		return ret;
	src = epc_sim_dma_memremap(desc->src, desc->len);
	if (src) {
		memcpy(dst, src, desc->len);
		memunmap(src);
		ret = 0;
	}
	memunmap(dst);

	return ret;
}

static void epc_sim_dma_work(struct work_struct *work)
{
	struct epc_sim_dma_chan *c = container_of(work, struct epc_sim_dma_chan,
						  work);
	struct dmaengine_result res;
	struct epc_sim_dma_desc *desc;

	for (;;) {
		spin_lock_bh(&c->lock);
		desc = list_first_entry_or_null(&c->issued,
						struct epc_sim_dma_desc, node);
		if (desc)
			list_del(&desc->node);
		spin_unlock_bh(&c->lock);
		if (!desc)
			break;

		res.residue = 0;
		res.result = DMA_TRANS_NOERROR;
		if (epc_sim_dma_copy(desc)) {
			res.residue = desc->len;
			res.result = DMA_TRANS_READ_FAILED;
		}

		spin_lock_bh(&c->lock);
		c->chan.completed_cookie = desc->tx.cookie;
		if (res.result != DMA_TRANS_NOERROR)
			c->error_cookie = desc->tx.cookie;
		spin_unlock_bh(&c->lock);

		/*
		 * Hardware engines complete from a tasklet or an interrupt
		 * handler: give clients the same atomic context, so that one
		 * that sleeps in its callback is caught here too.
		 */
		local_bh_disable();
		if (desc->tx.callback_result)
			desc->tx.callback_result(desc->tx.callback_param, &res);
		else if (desc->tx.callback)
			desc->tx.callback(desc->tx.callback_param);
		local_bh_enable();
		kfree(desc);
		cond_resched();
	}
}

static dma_cookie_t epc_sim_dma_submit(struct dma_async_tx_descriptor *tx)
{
	struct epc_sim_dma_chan *c = to_sim_chan(tx->chan);
	struct epc_sim_dma_desc *desc = container_of(tx, struct epc_sim_dma_desc,
						     tx);
	dma_cookie_t cookie;

	spin_lock_bh(&c->lock);
	cookie = c->chan.cookie + 1;
	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	c->chan.cookie = cookie;
	tx->cookie = cookie;
	list_add_tail(&desc->node, &c->submitted);
	spin_unlock_bh(&c->lock);

	return cookie;
}

static struct dma_async_tx_descriptor *
epc_sim_dma_prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
			size_t len, unsigned long flags)
{
	struct epc_sim_dma_desc *desc;

	if (!len)
		return NULL;

	desc = kzalloc(sizeof(*desc), GFP_NOWAIT);
	if (!desc)
		return NULL;

	dma_async_tx_descriptor_init(&desc->tx, chan);
	desc->tx.tx_submit = epc_sim_dma_submit;
	desc->tx.flags = flags;
	desc->dst = dst;
	desc->src = src;
	desc->len = len;

	return &desc->tx;
}

static void epc_sim_dma_issue_pending(struct dma_chan *chan)
{
	struct epc_sim_dma_chan *c = to_sim_chan(chan);

	spin_lock_bh(&c->lock);
	list_splice_tail_init(&c->submitted, &c->issued);
	spin_unlock_bh(&c->lock);

	queue_work(epc_sim_dma->wq, &c->work);
}

static enum dma_status epc_sim_dma_tx_status(struct dma_chan *chan,
					     dma_cookie_t cookie,
					     struct dma_tx_state *state)
{
	struct epc_sim_dma_chan *c = to_sim_chan(chan);
	dma_cookie_t last, used;
	enum dma_status status;

	spin_lock_bh(&c->lock);
	last = chan->completed_cookie;
	used = chan->cookie;
	status = dma_async_is_complete(cookie, last, used);
	if (status == DMA_COMPLETE && cookie == c->error_cookie)
		status = DMA_ERROR;
	spin_unlock_bh(&c->lock);

	dma_set_tx_state(state, last, used, 0);

	return status;
}

static int epc_sim_dma_terminate_all(struct dma_chan *chan)
{
	struct epc_sim_dma_chan *c = to_sim_chan(chan);
	struct epc_sim_dma_desc *desc, *tmp;
	LIST_HEAD(dropped);

	spin_lock_bh(&c->lock);
	list_splice_tail_init(&c->submitted, &dropped);
	list_splice_tail_init(&c->issued, &dropped);
	spin_unlock_bh(&c->lock);

	list_for_each_entry_safe(desc, tmp, &dropped, node)
		kfree(desc);

	return 0;
}

static void epc_sim_dma_synchronize(struct dma_chan *chan)
{
	flush_work(&to_sim_chan(chan)->work);
}

static int epc_sim_dma_alloc_chan_resources(struct dma_chan *chan)
{
	struct epc_sim_dma_chan *c = to_sim_chan(chan);

	spin_lock_bh(&c->lock);
	chan->cookie = DMA_MIN_COOKIE;
	chan->completed_cookie = DMA_MIN_COOKIE;
	c->error_cookie = 0;
	spin_unlock_bh(&c->lock);

	return 0;
}

static void epc_sim_dma_free_chan_resources(struct dma_chan *chan)
{
	epc_sim_dma_terminate_all(chan);
	epc_sim_dma_synchronize(chan);
}

/**
 * epc_sim_dma_init() - register the memcpy DMA engine
 * @dev: the device it belongs to
 *
 * Return: 0 or a negative error code.
 */
int epc_sim_dma_init(struct device *dev)
{
	struct dma_device *dd;
	unsigned int i;
	int ret;

	epc_sim_dma = kzalloc(sizeof(*epc_sim_dma), GFP_KERNEL);
	if (!epc_sim_dma)
		return -ENOMEM;

	epc_sim_dma->wq = alloc_workqueue("pci-epc-sim-dma",
					  WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!epc_sim_dma->wq) {
		ret = -ENOMEM;
		goto err_free;
	}

	/* It reaches all memory, as a memcpy engine of the SoC would */
	ret = dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_wq;

	dd = &epc_sim_dma->dma;
	dd->dev = dev;
	dma_cap_set(DMA_MEMCPY, dd->cap_mask);
	/*
	 * Channels go to the clients that ask for one (endpoint functions),
	 * not to async_tx or to whoever looks up a public memcpy channel.
	 */
	dma_cap_set(DMA_PRIVATE, dd->cap_mask);
	dd->copy_align = DMAENGINE_ALIGN_1_BYTE;
	dd->directions = BIT(DMA_MEM_TO_MEM);
	dd->residue_granularity = DMA_RESIDUE_GRANULARITY_DESCRIPTOR;
	dd->device_alloc_chan_resources = epc_sim_dma_alloc_chan_resources;
	dd->device_free_chan_resources = epc_sim_dma_free_chan_resources;
	dd->device_prep_dma_memcpy = epc_sim_dma_prep_memcpy;
	dd->device_issue_pending = epc_sim_dma_issue_pending;
	dd->device_tx_status = epc_sim_dma_tx_status;
	dd->device_terminate_all = epc_sim_dma_terminate_all;
	dd->device_synchronize = epc_sim_dma_synchronize;
	INIT_LIST_HEAD(&dd->channels);

	for (i = 0; i < EPC_SIM_DMA_CHANNELS; i++) {
		struct epc_sim_dma_chan *c = &epc_sim_dma->chan[i];

		spin_lock_init(&c->lock);
		INIT_LIST_HEAD(&c->submitted);
		INIT_LIST_HEAD(&c->issued);
		INIT_WORK(&c->work, epc_sim_dma_work);
		c->chan.device = dd;
		list_add_tail(&c->chan.device_node, &dd->channels);
	}

	ret = dma_async_device_register(dd);
	if (ret)
		goto err_wq;

	return 0;

err_wq:
	destroy_workqueue(epc_sim_dma->wq);
err_free:
	kfree(epc_sim_dma);
	epc_sim_dma = NULL;
	return ret;
}
