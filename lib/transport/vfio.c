/*
 * vfio.c - VFIO type1 (or no-IOMMU) container, group and device for one
 * PCI function: config space and BAR access, BAR mmap, DMA mappings and
 * an MSI-X eventfd.  Linux only; built with the virtio transport.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "p9int.h"
#include "vfio.h"

static int
fail(int err, const char *what)
{
	return p9__fail(-err, "%s: %s", what, strerror(err));
}

int
vfio_open(struct vfio *v, const char *bdf, const char *group)
{
	struct vfio_group_status gs = { .argsz = sizeof gs };
	char path[64];
	int type;

	memset(v, 0, sizeof *v);
	v->container = v->group = v->device = -1;
	if ((v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC)) < 0)
		return fail(errno, "/dev/vfio/vfio (is vfio loaded?)");
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		vfio_close(v);
		return p9__fail(-EINVAL, "VFIO API version mismatch");
	}
	/* a group named noiommu-N is VFIO's unsafe no-IOMMU mode */
	v->noiommu = strncmp(group, "noiommu-", 8) == 0;
	snprintf(path, sizeof path, "/dev/vfio/%s", group);
	if ((v->group = open(path, O_RDWR | O_CLOEXEC)) < 0) {
		int e = errno;

		vfio_close(v);
		return e == EBUSY ? p9__fail(-EBUSY, "%s: IOMMU group in use "
		    "by another program", path) : fail(e, path);
	}
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &gs) < 0 ||
	    !(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		vfio_close(v);
		return p9__fail(-EPERM, "IOMMU group %s is not viable: every "
		    "device in it must be bound to vfio-pci", group);
	}
	type = v->noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1_IOMMU;
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) < 0 ||
	    ioctl(v->container, VFIO_SET_IOMMU, type) < 0) {
		int e = errno;

		vfio_close(v);
		return fail(e, "VFIO_SET_IOMMU");
	}
	if ((v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf)) < 0) {
		int e = errno;

		vfio_close(v);
		return fail(e, "VFIO_GROUP_GET_DEVICE_FD");
	}
	for (unsigned i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		v->reg[i].argsz = sizeof v->reg[i];
		v->reg[i].index = i;
		if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &v->reg[i]) < 0)
			v->reg[i].size = 0;
	}
	return 0;
}

void
vfio_close(struct vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->device = v->group = v->container = -1;
}

int
vfio_rd(struct vfio *v, int region, uint64_t off, void *buf, size_t n)
{
	if (pread(v->device, buf, n, (off_t)(v->reg[region].offset + off)) !=
	    (ssize_t)n)
		return p9__fail(-EIO, "reading region %d at %#llx failed",
		    region, (unsigned long long)off);
	return 0;
}

int
vfio_wr(struct vfio *v, int region, uint64_t off, const void *buf, size_t n)
{
	if (pwrite(v->device, buf, n, (off_t)(v->reg[region].offset + off)) !=
	    (ssize_t)n)
		return p9__fail(-EIO, "writing region %d at %#llx failed",
		    region, (unsigned long long)off);
	return 0;
}

void *
vfio_map_bar(struct vfio *v, int bar, size_t *len)
{
	struct vfio_region_info *r = &v->reg[bar];
	void *p;

	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP) || r->size == 0)
		return NULL;
	p = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    v->device, (off_t)r->offset);
	if (p == MAP_FAILED)
		return NULL;
	*len = r->size;
	return p;
}

int
vfio_dma_map(struct vfio *v, void *va, uint64_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof m,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	if (v->noiommu)
		return 0;	/* no IOMMU: the device sees physical addresses */
	if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m) < 0)
		return p9__fail(-errno, "VFIO_IOMMU_MAP_DMA of %zu bytes at "
		    "%#llx: %s", len, (unsigned long long)iova, strerror(errno));
	return 0;
}

void
vfio_dma_unmap(struct vfio *v, uint64_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof u, .iova = iova, .size = len,
	};

	if (!v->noiommu)
		ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &u);
}

/* MSI-X vector 0 signals efd. */
int
vfio_msix(struct vfio *v, int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;
	struct vfio_irq_info ii = { .argsz = sizeof ii,
	    .index = VFIO_PCI_MSIX_IRQ_INDEX };

	if (ioctl(v->device, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0 || ii.count < 1)
		return p9__fail(-ENODEV, "the device has no MSI-X vector");
	s->argsz = sizeof buf;
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = VFIO_PCI_MSIX_IRQ_INDEX;
	s->start = 0;
	s->count = 1;
	memcpy(s->data, &efd, sizeof efd);
	if (ioctl(v->device, VFIO_DEVICE_SET_IRQS, s) < 0)
		return fail(errno, "VFIO_DEVICE_SET_IRQS");
	return 0;
}

void
vfio_msix_off(struct vfio *v)
{
	struct vfio_irq_set s = {
		.argsz = sizeof s,
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_MSIX_IRQ_INDEX,
	};

	ioctl(v->device, VFIO_DEVICE_SET_IRQS, &s);
}
