/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Software PCI endpoint controller with a virtual host bridge: private
 * definitions shared by the endpoint, host and DMA parts.
 */
#ifndef _PCI_EPC_SIM_H
#define _PCI_EPC_SIM_H

#include <linux/ioport.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-epc.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/unaligned.h>
#include <linux/workqueue.h>

#define EPC_SIM_NAME		"pci-epc-sim"
#define EPC_SIM_MAX_FUNCS	8

/*
 * Bus addresses differ from CPU physical addresses on both sides of the
 * virtual host bridge, so that a driver that confuses the two fails: the
 * functions' BARs are at bus addresses from EPC_SIM_BAR_BUS_BASE, with the
 * MSI doorbell just below, and RC memory is at its physical address plus
 * EPC_SIM_RAM_BUS_OFFSET, as behind a host bridge whose DMA window has an
 * offset. RC memory up to EPC_SIM_RAM_BUS_OFFSET is reachable, so no RC
 * memory is ever at a bus address of the BAR window or of the doorbell.
 */
#define EPC_SIM_BAR_BUS_BASE	0xd0000000ULL
#define EPC_SIM_MSI_DOORBELL	(EPC_SIM_BAR_BUS_BASE - SZ_4K)
#define EPC_SIM_RAM_BUS_OFFSET	SZ_1T

/* Where the emulated configuration space puts the capabilities */
#define EPC_SIM_MSI_CAP		0x50
#define EPC_SIM_MSIX_CAP	0x70

/**
 * struct epc_sim_profile - what a simulated controller offers
 * @name: the name given in the profiles= parameter
 * @features: what pci_epc_get_features() returns
 * @max_functions: number of physical functions
 * @ob_size: size of the outbound window
 * @ob_reserved: bytes at the start of the window that the controller keeps
 *	for itself, as a hardware controller keeps a region to send MSIs
 * @ob_regions: number of outbound regions endpoint functions can use at once
 * @ob_min_bits: 0 if an outbound region translates any PCI address
 *	exactly; otherwise the region passes the low bits of the CPU address
 *	through, at least @ob_min_bits of them and as many as its size
 *	rounded up to a power of two takes, and a PCI address that is not
 *	aligned to that many bits is truncated, as a Cadence controller does
 * @bar_min_size: smallest BAR aperture
 * @bar64_even_only: a 64-bit BAR must start at an even BAR number
 * @msix_ignore_mask: raising a masked MSI-X vector sends its message
 *	anyway, as pcie-cadence-ep.c does, rather than setting its pending bit
 */
struct epc_sim_profile {
	const char *name;
	struct pci_epc_features features;
	u8 max_functions;
	size_t ob_size;
	size_t ob_reserved;
	unsigned int ob_regions;
	unsigned int ob_min_bits;
	u64 bar_min_size;
	bool bar64_even_only;
	bool msix_ignore_mask;
};

/**
 * struct epc_sim_bar - a BAR as the endpoint function set it
 * @phys: CPU physical address of its memory (in the controller's pool)
 * @virt: the endpoint function's mapping of that memory
 * @size: size the endpoint function asked for
 * @aperture: size decoded, a power of two
 */
struct epc_sim_bar {
	phys_addr_t phys;
	void *virt;
	u64 size;
	u64 aperture;
};

/**
 * struct epc_sim_func - one physical function
 * @cfg: its configuration space, in little-endian byte order
 * @wmask: bits of @cfg the RC may write
 * @bar: its BARs, NULL @virt when unset
 * @header: set once the endpoint function wrote the header
 * @msi: the function offers MSI
 * @msix_count: MSI-X vectors the function offers, 0 for no MSI-X
 */
struct epc_sim_func {
	u8 cfg[PCI_CFG_SPACE_SIZE];
	u8 wmask[PCI_CFG_SPACE_SIZE];
	struct epc_sim_bar bar[PCI_STD_NUM_BARS];
	bool header;
	bool msi;
	u16 msix_count;
};

/**
 * struct epc_sim_ob - one outbound region, as mem_map() set it up
 * @phys: CPU address of the region in the outbound window
 * @pci_addr: PCI address it is mapped to
 * @size: its size
 * @mask: low address bits passed through from the CPU address, 0 if the
 *	translation is exact
 * @virt: mapping of the memory the region reaches
 * @win_virt: mapping of the window memory pci_epc_mem_alloc_addr() made,
 *	kept to free it
 * @used: the region is in use
 */
struct epc_sim_ob {
	phys_addr_t phys;
	u64 pci_addr;
	size_t size;
	u64 mask;
	void *virt;
	void __iomem *win_virt;
	bool used;
};

/**
 * struct epc_sim - one simulated controller and its virtual host bridge
 * @dev: the platform device, parent of the EPC and of the host bridge
 * @profile: what it offers
 * @epc: the endpoint controller
 * @node: entry in the list of controllers, for the DMA engine
 * @pool_phys: start of the reserved memory BARs are allocated from
 * @pool_size: its size
 * @ob_res: the outbound window, claimed in iomem_resource
 * @ob_lock: protects @ob
 * @ob: outbound regions
 * @cfg_lock: protects @func and @link_up against the configuration
 *	accessors, which the PCI core calls under a raw spinlock
 * @func: the physical functions
 * @link_up: link state as the RC sees it
 * @link_want: link state the endpoint side asked for with start()/stop()
 * @link_notified: link state last reported to the endpoint functions
 * @link_work: reports link changes and enumerates the functions
 * @bme_work: reports bus master enable
 * @bar_res: the host bridge window, covering the pool
 * @busn_res: the host bridge's bus number
 * @sysdata: what x86 needs behind bus->sysdata
 * @bus: the root bus of the virtual host bridge
 * @msi_fwnode: fwnode of @msi_domain
 * @msi_domain: PCI/MSI domain of the host bridge
 * @intx_fwnode: fwnode of @intx_domain
 * @intx_domain: interrupt simulator domain for INTx, four per function
 * @intx_virq: INTx mappings made by map_irq(), to dispose of them
 */
struct epc_sim {
	struct device *dev;
	const struct epc_sim_profile *profile;
	struct pci_epc *epc;
	struct list_head node;

	phys_addr_t pool_phys;
	size_t pool_size;

	struct resource ob_res;
	struct mutex ob_lock;		/* ob */
	struct epc_sim_ob *ob;

	raw_spinlock_t cfg_lock;	/* func, link_up */
	struct epc_sim_func func[EPC_SIM_MAX_FUNCS];
	bool link_up;

	bool link_want;
	bool link_notified;
	struct work_struct link_work;
	struct work_struct bme_work;

	struct resource bar_res;
	struct resource busn_res;
#ifdef CONFIG_X86
	struct pci_sysdata sysdata;
#endif
	struct pci_bus *bus;
	struct fwnode_handle *msi_fwnode;
	struct irq_domain *msi_domain;
	struct fwnode_handle *intx_fwnode;
	struct irq_domain *intx_domain;
	unsigned int intx_virq[EPC_SIM_MAX_FUNCS * PCI_NUM_INTX];
};

static inline u16 epc_sim_cfg16(const struct epc_sim_func *f, unsigned int off)
{
	return get_unaligned_le16(&f->cfg[off]);
}

static inline u32 epc_sim_cfg32(const struct epc_sim_func *f, unsigned int off)
{
	return get_unaligned_le32(&f->cfg[off]);
}

static inline void epc_sim_set16(u8 *space, unsigned int off, u16 val)
{
	put_unaligned_le16(val, &space[off]);
}

static inline void epc_sim_set32(u8 *space, unsigned int off, u32 val)
{
	put_unaligned_le32(val, &space[off]);
}

/* ep.c */
extern const struct pci_epc_ops epc_sim_ops;
int epc_sim_pci_to_phys(struct epc_sim *sim, u64 pci_addr, size_t size,
			phys_addr_t *phys, bool *ram);

/* host.c */
int epc_sim_host_init(struct epc_sim *sim);
int epc_sim_host_register(void);
void epc_sim_host_exit(struct epc_sim *sim);
void epc_sim_cfg_reset(struct epc_sim *sim, u8 func_no);
void epc_sim_cfg_caps(struct epc_sim_func *f);
void epc_sim_host_remove(struct epc_sim *sim, int func_no);
void epc_sim_host_scan(struct epc_sim *sim);
int epc_sim_raise_msi(struct epc_sim *sim, u8 func_no, u16 num);
int epc_sim_raise_msix(struct epc_sim *sim, u8 func_no, u16 num);
int epc_sim_raise_intx(struct epc_sim *sim, u8 func_no);

/* dma.c */
int epc_sim_dma_init(struct device *dev);

/* main.c: the controllers, for the DMA engine */
extern struct mutex epc_sim_list_lock;
extern struct list_head epc_sim_list;

#endif /* _PCI_EPC_SIM_H */
