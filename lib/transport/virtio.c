/*
 * virtio.c - the virtio-9p transport: a userspace virtio-pci driver over
 * VFIO.  The device is bound to vfio-pci (and given back when done); its
 * one virtqueue carries each request as a two-descriptor chain, the
 * T-message readable and a buffer of msize writable, and completions come
 * back through the used ring, in any order, matched by chain head.
 *
 * Modern (virtio 1.x, registers in a mapped BAR) and legacy (I/O BAR0,
 * as bhyve has it) devices are both driven.  DMA memory is 2 MiB huge
 * pages: physically contiguous, so when the device does not translate
 * through the IOMMU (no VIRTIO_F_ACCESS_PLATFORM, and every legacy
 * device) the bus address of a buffer is its physical address; with
 * ACCESS_PLATFORM any IOVA mapped with VFIO_IOMMU_MAP_DMA will do.
 * Completions arrive by MSI-X eventfd, or by polling the used ring.
 *
 * A large reply (an Rread) is not copied out of the device's buffer: the
 * buffer is lent to the session as the received message, and its slot
 * comes back when the reply is freed (9pfuse hands Rread data from there
 * straight to /dev/fuse).  At most half the slots are lent at once, so a
 * caller holding replies while it sends more cannot starve the queue;
 * past that, replies are copied as before.  A transport destroyed while
 * buffers are out keeps its DMA memory until the last one comes back.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "client/session.h"
#include "transport.h"
#include "vfio.h"

#define HUGE		(2u << 20)
#define MAXSLOTS	32
#define MAXCHUNKS	80
#define MAXBUF		HUGE		/* one buffer within one huge page */
#define F_MOUNT_TAG	0
#define F_VERSION_1	32
#define F_ACCESS_PLATFORM 33
#define NO_VECTOR	0xffff
#define LEND_MIN	8192		/* smaller replies are copied */

struct chunk {
	uint8_t		*va;
	uint64_t	 bus;
	size_t		 used;
};

struct vio;
struct p9__lender;
static void give_back(struct p9__lender *l);

struct slot {
	uint8_t		*t, *r;		/* r has P9__RXHDR bytes before it */
	uint64_t	 tbus, rbus;
	struct p9__lender lend;		/* r lent as a reply */
	struct vio	*k;
};

struct vio {
	struct p9_transport	 tr;
	struct vfio		 v;
	char			 bdf[16], orig[32], group[32];
	int			 modern, platform, polling, msix;
	/* modern registers, in one mapped BAR */
	uint8_t			*bar;
	size_t			 barlen;
	int			 barno;
	volatile struct virtio_pci_common_cfg *common;
	volatile uint8_t	*devcfg;
	volatile uint16_t	*notify;
	uint32_t		 notify_mult;
	/* the virtqueue */
	unsigned		 qsize;
	struct vring_desc	*desc;
	struct vring_avail	*avail;
	struct vring_used	*used;
	uint16_t		 avail_idx, last_used;
	/* DMA memory and request slots */
	struct chunk		 ch[MAXCHUNKS];
	int			 nch;
	uint64_t		 next_iova;
	uint32_t		 bufsz;
	struct slot		 slot[MAXSLOTS];
	int			 freeslot[MAXSLOTS], nfree;
	unsigned		 nslots;
	unsigned		 nlent;	/* slots whose reply is lent out */
	int			 gone;	/* destroyed: free when nlent is 0 */
	pthread_mutex_t		 lk;	/* slots, avail ring, nlent, gone */
	pthread_cond_t		 cv;	/* a slot came free */
	int			 efd, stopfd;
	pthread_t		 th;
	int			 started, stopping;
#ifdef P9_FAULT_INJECTION
	unsigned long		 nsent, fault_at;	/* P9_VIRTIO_FAULT */
#endif
};

static void
pause_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* ---- registers ---------------------------------------------------------- */

static uint8_t
status_get(struct vio *k)
{
	uint8_t s = 0;

	if (k->modern)
		return k->common->device_status;
	vfio_rd(&k->v, 0, VIRTIO_PCI_STATUS, &s, 1);
	return s;
}

static void
status_set(struct vio *k, uint8_t s)
{
	if (k->modern)
		k->common->device_status = s;
	else
		vfio_wr(&k->v, 0, VIRTIO_PCI_STATUS, &s, 1);
}

static void
reset(struct vio *k)
{
	status_set(k, 0);
	for (int i = 0; i < 1000 && status_get(k) != 0; i++)
		pause_us(1000);
}

static uint16_t
leg16(struct vio *k, unsigned off)
{
	uint16_t v = 0;

	vfio_rd(&k->v, 0, off, &v, 2);
	return v;
}

static void
leg16w(struct vio *k, unsigned off, uint16_t v)
{
	vfio_wr(&k->v, 0, off, &v, 2);
}

/* Find the modern capabilities and map the BAR they live in. */
static int
map_modern(struct vio *k)
{
	uint8_t cap, c[20];
	uint16_t st = 0;
	uint32_t off[5] = { 0 }, mult = 0;
	int bar = -1, found = 0;

	vfio_rd(&k->v, VFIO_PCI_CONFIG_REGION_INDEX, PCI_STATUS, &st, 2);
	if (!(st & PCI_STATUS_CAP_LIST))
		return p9__fail(-ENODEV, "%s: no PCI capabilities", k->bdf);
	vfio_rd(&k->v, VFIO_PCI_CONFIG_REGION_INDEX, PCI_CAPABILITY_LIST,
	    &cap, 1);
	for (int n = 0; cap && n < 48; n++) {
		if (vfio_rd(&k->v, VFIO_PCI_CONFIG_REGION_INDEX, cap, c,
		    sizeof c) != 0)
			break;
		/* vendor caps: cfg_type at 3, bar at 4, offset at 8 */
		if (c[0] == PCI_CAP_ID_VNDR && c[3] >= 1 && c[3] <= 4 &&
		    c[3] != VIRTIO_PCI_CAP_ISR_CFG) {
			if (bar >= 0 && c[4] != bar)
				return p9__fail(-ENOTSUP, "%s: virtio "
				    "structures in several BARs", k->bdf);
			bar = c[4];
			found |= 1 << c[3];
			memcpy(&off[c[3]], c + 8, 4);
			if (c[3] == VIRTIO_PCI_CAP_NOTIFY_CFG)
				memcpy(&mult, c + 16, 4);
		}
		cap = c[1] & ~3;
	}
	/* common, notify and device structures (offset 0 is fine) */
	if (bar < 0 || (found & 0x16) != 0x16)
		return p9__fail(-ENODEV, "%s: no virtio common configuration",
		    k->bdf);
	if ((k->bar = vfio_map_bar(&k->v, bar, &k->barlen)) == NULL)
		return p9__fail(-ENODEV, "%s: cannot map BAR %d", k->bdf, bar);
	k->barno = bar;
	k->common = (void *)(k->bar + off[VIRTIO_PCI_CAP_COMMON_CFG]);
	k->devcfg = k->bar + off[VIRTIO_PCI_CAP_DEVICE_CFG];
	k->notify = (void *)(k->bar + off[VIRTIO_PCI_CAP_NOTIFY_CFG]);
	/* the queue's own notify offset is applied once it is selected */
	k->notify_mult = mult;
	return 0;
}

/* Negotiate features; sets k->platform.  0 or an error. */
static int
features(struct vio *k)
{
	uint64_t have, want;
	uint32_t lo, hi;

	if (!k->modern) {
		vfio_rd(&k->v, 0, VIRTIO_PCI_HOST_FEATURES, &lo, 4);
		lo &= 1u << F_MOUNT_TAG;
		vfio_wr(&k->v, 0, VIRTIO_PCI_GUEST_FEATURES, &lo, 4);
		k->platform = 0;
		return 0;
	}
	k->common->device_feature_select = 0;
	lo = k->common->device_feature;
	k->common->device_feature_select = 1;
	hi = k->common->device_feature;
	have = (uint64_t)hi << 32 | lo;
	if (!(have & (1ull << F_VERSION_1)))
		return p9__fail(-ENOTSUP, "%s: device lacks VERSION_1", k->bdf);
	want = have & (1ull << F_MOUNT_TAG | 1ull << F_VERSION_1 |
	    1ull << F_ACCESS_PLATFORM);
	k->common->guest_feature_select = 0;
	k->common->guest_feature = (uint32_t)want;
	k->common->guest_feature_select = 1;
	k->common->guest_feature = (uint32_t)(want >> 32);
	status_set(k, status_get(k) | VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(status_get(k) & VIRTIO_CONFIG_S_FEATURES_OK))
		return p9__fail(-ENOTSUP, "%s: device refused our features",
		    k->bdf);
	/*
	 * ACCESS_PLATFORM is accepted whenever offered (a device may refuse
	 * to work without it), but under VFIO's no-IOMMU mode the platform
	 * translates nothing: the device sees physical addresses then too.
	 */
	k->platform = ((want >> F_ACCESS_PLATFORM) & 1) && !k->v.noiommu;
	return 0;
}

/* ---- DMA memory ----------------------------------------------------------- */

static uint64_t
phys_of(void *va)
{
	uint64_t e = 0;
	long page = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (off_t)((uintptr_t)va / page * 8)) != 8)
		e = 0;
	close(fd);
	if (!(e >> 63) || !(e & ((1ull << 55) - 1)))
		return 0;	/* not present, or no right to see PFNs */
	return (e & ((1ull << 55) - 1)) * (uint64_t)page +
	    (uintptr_t)va % page;
}

static int
more_hugepages(int n)
{
	char buf[32];
	FILE *fp = fopen("/proc/sys/vm/nr_hugepages", "r+");
	long cur = 0;

	if (fp == NULL)
		return -1;
	if (fgets(buf, sizeof buf, fp))
		cur = strtol(buf, NULL, 10);
	rewind(fp);
	fprintf(fp, "%ld\n", cur + n);
	fclose(fp);
	return 0;
}

/* One more 2 MiB chunk, physically contiguous unless the IOMMU maps it. */
static int
add_chunk(struct vio *k)
{
	struct chunk *c = &k->ch[k->nch];
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED;
	void *va;
	int err;

	if (k->nch == MAXCHUNKS)
		return p9__fail(-ENOMEM, "too much DMA memory asked for");
	va = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, flags | MAP_HUGETLB, -1, 0);
	if (va == MAP_FAILED && more_hugepages(4) == 0)
		va = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
		    flags | MAP_HUGETLB, -1, 0);
	if (va == MAP_FAILED && k->platform)
		va = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (va == MAP_FAILED)
		return p9__fail(-ENOMEM, "no 2 MiB huge page for DMA (the "
		    "device needs physically contiguous memory): echo N > "
		    "/proc/sys/vm/nr_hugepages");
	memset(va, 0, HUGE);
	if (k->platform) {
		c->bus = k->next_iova;
		k->next_iova += HUGE;
	} else if ((c->bus = phys_of(va)) == 0) {
		munmap(va, HUGE);
		return p9__fail(-EPERM, "cannot learn physical addresses "
		    "(/proc/self/pagemap needs CAP_SYS_ADMIN)");
	}
	if ((err = vfio_dma_map(&k->v, va, c->bus, HUGE)) != 0 && k->platform) {
		munmap(va, HUGE);
		return err;
	}
	c->va = va;
	c->used = 0;
	k->nch++;
	return 0;
}

/* n bytes aligned to align, inside one chunk. */
static void *
dma_alloc(struct vio *k, size_t n, size_t align, uint64_t *bus)
{
	struct chunk *c = k->nch ? &k->ch[k->nch - 1] : NULL;
	size_t at;

	if (c)
		at = (c->used + align - 1) / align * align;
	if (c == NULL || at + n > HUGE) {
		if (add_chunk(k) != 0)
			return NULL;
		c = &k->ch[k->nch - 1];
		at = 0;
	}
	c->used = at + n;
	*bus = c->bus + at;
	return c->va + at;
}

/* The device's view of the DMA memory goes (ours stays: lent buffers). */
static void
dma_unmap(struct vio *k)
{
	for (int i = 0; i < k->nch; i++)
		vfio_dma_unmap(&k->v, k->ch[i].bus, HUGE);
}

static void
dma_free(struct vio *k)
{
	for (int i = 0; i < k->nch; i++)
		munmap(k->ch[i].va, HUGE);
	k->nch = 0;
}

/* ---- the queue ---------------------------------------------------------- */

static int
setup_queue(struct vio *k, uint32_t msize)
{
	uint64_t ring;
	size_t need;
	uint8_t *mem;

	if (k->modern) {
		k->common->queue_select = 0;
		k->qsize = k->common->queue_size;
	} else {
		leg16w(k, VIRTIO_PCI_QUEUE_SEL, 0);
		k->qsize = leg16(k, VIRTIO_PCI_QUEUE_NUM);
	}
	if (k->qsize < 2 || (k->qsize & (k->qsize - 1)))
		return p9__fail(-ENODEV, "%s: queue size %u", k->bdf, k->qsize);
	/* the legacy layout (used ring on the next page) suits both */
	need = vring_size(k->qsize, 4096);
	if (need > HUGE)
		return p9__fail(-ENOTSUP, "%s: queue too large", k->bdf);
	if ((mem = dma_alloc(k, need, 4096, &ring)) == NULL)
		return -ENOMEM;	/* add_chunk said why */
	k->desc = (void *)mem;
	k->avail = (void *)(mem + k->qsize * sizeof(struct vring_desc));
	k->used = (void *)(mem + ((k->qsize * sizeof(struct vring_desc) +
	    4 + 2 * k->qsize + 2 + 4095) & ~(size_t)4095));
	k->bufsz = msize > MAXBUF ? MAXBUF : msize;
	k->nslots = k->qsize / 2 < MAXSLOTS ? k->qsize / 2 : MAXSLOTS;
	for (unsigned i = 0; i < k->nslots; i++) {
		struct slot *s = &k->slot[i];

		s->t = dma_alloc(k, k->bufsz, 64, &s->tbus);
		s->r = dma_alloc(k, P9__RXHDR + k->bufsz, 64, &s->rbus);
		if (s->t == NULL || s->r == NULL)
			return -ENOMEM;
		s->r += P9__RXHDR;
		s->rbus += P9__RXHDR;
		s->lend.give_back = give_back;
		s->k = k;
		k->freeslot[k->nfree++] = (int)i;
	}
	if (k->modern) {
		uint64_t a = ring + ((uint8_t *)k->avail - mem);
		uint64_t u = ring + ((uint8_t *)k->used - mem);

		k->common->queue_size = (uint16_t)k->qsize;
		k->common->queue_desc_lo = (uint32_t)ring;
		k->common->queue_desc_hi = (uint32_t)(ring >> 32);
		k->common->queue_avail_lo = (uint32_t)a;
		k->common->queue_avail_hi = (uint32_t)(a >> 32);
		k->common->queue_used_lo = (uint32_t)u;
		k->common->queue_used_hi = (uint32_t)(u >> 32);
		k->notify = (volatile uint16_t *)((volatile uint8_t *)k->notify +
		    (size_t)k->common->queue_notify_off * k->notify_mult);
	} else {
		uint32_t pfn = (uint32_t)(ring >> 12);

		vfio_wr(&k->v, 0, VIRTIO_PCI_QUEUE_PFN, &pfn, 4);
	}
	k->tr.maxmsize = k->bufsz;
	k->tr.maxreq = k->nslots;
	return 0;
}

/* MSI-X vector 0 for the queue, none for config changes; else poll. */
static void
setup_irq(struct vio *k)
{
	uint16_t got;

	if (k->polling || (k->efd = eventfd(0, EFD_CLOEXEC)) < 0 ||
	    vfio_msix(&k->v, k->efd) != 0) {
		k->polling = 1;
		return;
	}
	if (k->modern) {
		k->common->msix_config = NO_VECTOR;
		k->common->queue_select = 0;
		k->common->queue_msix_vector = 0;
		got = k->common->queue_msix_vector;
	} else {
		leg16w(k, VIRTIO_MSI_CONFIG_VECTOR, NO_VECTOR);
		leg16w(k, VIRTIO_PCI_QUEUE_SEL, 0);
		leg16w(k, VIRTIO_MSI_QUEUE_VECTOR, 0);
		got = leg16(k, VIRTIO_MSI_QUEUE_VECTOR);
	}
	if (got == NO_VECTOR) {
		vfio_msix_off(&k->v);
		k->polling = 1;
	} else
		k->msix = 1;
}

/* The mount tag from the device configuration. */
static void
read_tag(struct vio *k, char *tag, size_t cap)
{
	uint16_t len = 0;
	unsigned base = k->msix ? 24 : 20;

	tag[0] = '\0';
	if (k->modern) {
		uint8_t gen;

		do {
			gen = k->common->config_generation;
			len = *(volatile uint16_t *)k->devcfg;
			if (len >= cap)
				len = (uint16_t)(cap - 1);
			for (unsigned i = 0; i < len; i++)
				tag[i] = (char)k->devcfg[2 + i];
			tag[len] = '\0';
		} while (gen != k->common->config_generation);
		return;
	}
	vfio_rd(&k->v, 0, base, &len, 2);
	if (len >= cap)
		len = (uint16_t)(cap - 1);
	vfio_rd(&k->v, 0, base + 2, tag, len);
	tag[len] = '\0';
}

/* ---- requests and completions ------------------------------------------- */

static void
kick(struct vio *k)
{
	uint16_t q = 0;

	if (k->used->flags & VRING_USED_F_NO_NOTIFY)
		return;
	if (k->modern)
		*k->notify = q;
	else
		vfio_wr(&k->v, 0, VIRTIO_PCI_QUEUE_NOTIFY, &q, 2);
}

static int
vio_send(struct p9_transport *tr, const struct iovec *iov, int n)
{
	struct vio *k = (struct vio *)tr;
	size_t len = 0;
	struct slot *s;
	int i;

	for (int j = 0; j < n; j++)
		len += iov[j].iov_len;
	if (len > k->bufsz)
		return -EMSGSIZE;
	pthread_mutex_lock(&k->lk);
	while (!k->stopping && k->nfree == 0)
		pthread_cond_wait(&k->cv, &k->lk);
	if (k->stopping) {
		pthread_mutex_unlock(&k->lk);
		return -ESHUTDOWN;
	}
	i = k->freeslot[--k->nfree];
	pthread_mutex_unlock(&k->lk);
	s = &k->slot[i];
	len = 0;
	for (int j = 0; j < n; j++) {
		memcpy(s->t + len, iov[j].iov_base, iov[j].iov_len);
		len += iov[j].iov_len;
	}
	k->desc[2 * i] = (struct vring_desc){ s->tbus, (uint32_t)len,
	    VRING_DESC_F_NEXT, (uint16_t)(2 * i + 1) };
	k->desc[2 * i + 1] = (struct vring_desc){ s->rbus, k->bufsz,
	    VRING_DESC_F_WRITE, 0 };
#ifdef P9_FAULT_INJECTION
	/*
	 * Test builds only: the request numbered P9_VIRTIO_FAULT (from 1) goes
	 * out with a 6-byte header, which QEMU takes for a broken guest: it
	 * marks the device NEEDS_RESET and stops serving it.
	 */
	if (__atomic_add_fetch(&k->nsent, 1, __ATOMIC_RELAXED) == k->fault_at)
		k->desc[2 * i].len = 6;
#endif
	pthread_mutex_lock(&k->lk);
	k->avail->ring[k->avail_idx % k->qsize] = (uint16_t)(2 * i);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	k->avail->idx = ++k->avail_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	kick(k);
	pthread_mutex_unlock(&k->lk);
	return 0;
}

static void
vio_free(struct vio *k)
{
	dma_free(k);
	pthread_mutex_destroy(&k->lk);
	pthread_cond_destroy(&k->cv);
	free(k);
}

/* A lent reply was freed: its slot may carry a request again. */
static void
give_back(struct p9__lender *l)
{
	struct slot *sl = (struct slot *)((char *)l - offsetof(struct slot, lend));
	struct vio *k = sl->k;
	int last;

	pthread_mutex_lock(&k->lk);
	k->freeslot[k->nfree++] = (int)(sl - k->slot);
	k->nlent--;
	last = k->gone && k->nlent == 0;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->lk);
	if (last)
		vio_free(k);
}

/* Hand every finished chain to the session; 0, or an error to die of. */
static int
drain(struct vio *k)
{
	struct p9_session *s = k->tr.s;

	while (k->last_used != *(volatile uint16_t *)&k->used->idx) {
		struct vring_used_elem e;
		uint8_t *buf;
		unsigned i;

		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		e = k->used->ring[k->last_used % k->qsize];
		k->last_used++;
		i = e.id / 2;
		if (e.id % 2 || i >= k->nslots)
			return -EIO;
		buf = NULL;
		if (e.len > 0 && (e.len < 7 || e.len > k->bufsz))
			return -EBADMSG;
		pthread_mutex_lock(&k->lk);
		if (e.len >= LEND_MIN && k->nlent < k->nslots / 2) {
			k->nlent++;
			buf = p9__rxlend(k->slot[i].r - P9__RXHDR,
			    &k->slot[i].lend);
		}
		pthread_mutex_unlock(&k->lk);
		/* len 0: a reply the device discarded (flushed) */
		if (buf == NULL && e.len > 0) {
			if ((buf = p9__rxbuf(s->pool, e.len)) == NULL)
				return -ENOMEM;
			memcpy(buf, k->slot[i].r, e.len);
		}
		if (buf == NULL || buf != k->slot[i].r) {
			pthread_mutex_lock(&k->lk);
			k->freeslot[k->nfree++] = (int)i;
			pthread_cond_signal(&k->cv);
			pthread_mutex_unlock(&k->lk);
		}
		if (buf)
			p9__deliver(s, buf, e.len);
	}
	return 0;
}

static void *
completer(void *arg)
{
	struct vio *k = arg;
	struct pollfd p[2] = { { k->efd, POLLIN, 0 }, { k->stopfd, POLLIN, 0 } };
	long idle = 0;
	uint64_t cnt;
	int err = 0;

	while (!err) {
		if (k->polling) {
			if (k->last_used == *(volatile uint16_t *)&k->used->idx) {
				/* spin briefly, then back off to 1 ms */
				idle = idle < 1000 ? idle + 10 : 1000;
				if (read(k->stopfd, &cnt, 8) == 8)
					break;
				pause_us(idle);
			} else
				idle = 0;
		} else {
			if (poll(p, 2, 1000) < 0 && errno != EINTR)
				break;
			if (p[1].revents)
				break;
			/* clear the eventfd: the ring says what happened */
			if (p[0].revents && read(k->efd, &cnt, 8) < 0)
				cnt = 0;
		}
		if (status_get(k) & VIRTIO_CONFIG_S_NEEDS_RESET) {
			p9__hangup_why(k->tr.s, -EIO, "the host reset the "
			    "virtio-9p device (a request it could not take?)");
			return NULL;
		}
		err = drain(k);
	}
	if (err)
		p9__hangup_why(k->tr.s, err, err == -EBADMSG ? "the device "
		    "returned a reply of impossible length" : NULL);
	return NULL;
}

static int
vio_start(struct p9_transport *tr)
{
	struct vio *k = (struct vio *)tr;
	int err;

	if ((err = pthread_create(&k->th, NULL, completer, k)) != 0)
		return -err;
	k->started = 1;
	return 0;
}

static void
vio_shutdown(struct p9_transport *tr)
{
	struct vio *k = (struct vio *)tr;
	uint64_t one = 1;

	pthread_mutex_lock(&k->lk);
	k->stopping = 1;
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->lk);
	if (write(k->stopfd, &one, 8) < 0) {
		/* an eventfd write cannot fail here */
	}
}

static void
vio_destroy(struct p9_transport *tr)
{
	struct vio *k = (struct vio *)tr;
	int last;

	if (k->started)
		pthread_join(k->th, NULL);
	if (k->v.device >= 0 && (!k->modern || k->common)) {
		reset(k);	/* the device no longer touches our memory */
		if (k->msix)
			vfio_msix_off(&k->v);
	}
	dma_unmap(k);
	if (k->bar)
		munmap(k->bar, k->barlen);
	vfio_close(&k->v);
	if (k->bdf[0])
		pci_restore(k->bdf, k->orig);
	if (k->efd >= 0)
		close(k->efd);
	close(k->stopfd);
	/* replies still lent out keep the DMA memory until they are freed */
	pthread_mutex_lock(&k->lk);
	k->gone = 1;
	last = k->nlent == 0;
	pthread_mutex_unlock(&k->lk);
	if (last)
		vio_free(k);
}

static const struct p9__tops vio_ops = {
	.start = vio_start,
	.send = vio_send,
	.shutdown = vio_shutdown,
	.destroy = vio_destroy,
};

/* ---- opening ------------------------------------------------------------ */

static int
bring_up(struct vio *k, const struct p9_opts *o)
{
	char tag[64];
	int err;

	uint16_t cmd = 0;

	if ((err = vfio_open(&k->v, k->bdf, k->group)) != 0)
		return err;
	/* decode its BARs, and let it master the bus (DMA) */
	vfio_rd(&k->v, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND, &cmd, 2);
	cmd |= PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	vfio_wr(&k->v, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND, &cmd, 2);
	if (k->modern && (err = map_modern(k)) != 0)
		return err;
#ifdef P9_FAULT_INJECTION
	if (getenv("P9_VIRTIO_FAULT"))
		k->fault_at = strtoul(getenv("P9_VIRTIO_FAULT"), NULL, 10);
#endif
	/* with an IOMMU, translated IOVAs start at 1 GiB */
	k->next_iova = 1ull << 30;
	reset(k);
	status_set(k, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	status_set(k, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	if ((err = features(k)) != 0 ||
	    (err = setup_queue(k, o && o->msize ? o->msize : P9_DEFMSIZE)) != 0)
		goto failed;
	setup_irq(k);
	read_tag(k, tag, sizeof tag);
	pci_note_tag(k->bdf, tag);
	if (k->modern)
		k->common->queue_enable = 1;
	status_set(k, status_get(k) | VIRTIO_CONFIG_S_DRIVER_OK);
	if (status_get(k) & (VIRTIO_CONFIG_S_FAILED |
	    VIRTIO_CONFIG_S_NEEDS_RESET)) {
		err = p9__fail(-EIO, "%s: device failed to start", k->bdf);
		goto failed;
	}
	return 0;
failed:
	status_set(k, VIRTIO_CONFIG_S_FAILED);
	return err;
}

int
p9__virtio_dial(const char *addr, const struct p9_opts *o,
    struct p9_transport **tp)
{
	struct p9__addr a;
	struct p9_vdev *devs;
	struct vio *k;
	int err, n, modern = 0;

	if ((err = p9__parse_addr(addr, &a)) != 0)
		return err;
	if ((k = calloc(1, sizeof *k)) == NULL)
		return -ENOMEM;
	k->tr.ops = &vio_ops;
	k->v.container = k->v.group = k->v.device = -1;
	k->efd = -1;
	k->polling = o ? o->poll : 0;
	pthread_mutex_init(&k->lk, NULL);
	pthread_cond_init(&k->cv, NULL);
	if ((k->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(k);
		return -errno;
	}
	if ((err = pci_find(a.kind == P9__A_PCI ? NULL : a.path,
	    a.kind == P9__A_PCI ? a.path : NULL, k->bdf, sizeof k->bdf)) != 0) {
		k->bdf[0] = '\0';
		goto fail;
	}
	if (p9_virtio_list(&devs, &n) == 0) {
		for (int i = 0; i < n; i++)
			if (!strcmp(devs[i].bdf, k->bdf))
				modern = devs[i].modern;
		free(devs);
	}
	k->modern = modern;
	if ((err = pci_bind_vfio(k->bdf, k->orig, sizeof k->orig, k->group,
	    sizeof k->group)) != 0) {
		k->bdf[0] = '\0';	/* nothing to give back */
		goto fail;
	}
	if ((err = bring_up(k, o)) != 0)
		goto fail;
	*tp = &k->tr;
	return 0;
fail:
	{
		char msg[256];

		snprintf(msg, sizeof msg, "%s", p9_errstr());
		vio_destroy(&k->tr);
		return p9__fail(err, "%s", msg);
	}
}
