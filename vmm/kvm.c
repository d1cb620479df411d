/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "kvm"
#include "vmm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/msix.h"

/* Three pages for the TSS and one for the EPT identity map, just below the
 * (absent) BIOS ROM, in the 32-bit PCI hole clear of ECAM, IOAPIC and LAPIC. */
#define KVM_TSS_ADDR	      0xfffbd000ull
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ull

/* LAPIC register offsets and LVT delivery modes for kvm_vcpu_setup_lints. */
#define APIC_LVT0	 0x350
#define APIC_LVT1	 0x360
#define APIC_MODE_NMI	 0x4
#define APIC_MODE_EXTINT 0x7

struct kvm_msi_route {
	bool used;
	uint64_t addr;
	uint32_t data;
};

struct kvm {
	int sys_fd;
	int vm_fd;
	size_t run_size;
	/* Coalesced writes: byte offset of the ring page in each vCPU's mmap
	 * (0: none registered); the lock serialises replay across vCPUs. */
	atomic_size_t coalesced_off;
	unsigned coalesced_max; /* ring entries in the page, set before coalesced_off */
	pthread_mutex_t coalesced_lock;
	pthread_mutex_t routes_lock;
	struct kvm_msi_route msi[KVM_MAX_MSI_ROUTES]; /* GSI KVM_FIRST_MSI_GSI + index */
};

struct kvm_vcpu {
	struct kvm *kvm;
	unsigned id;
	int fd;
	struct kvm_run *run;
};

static const struct {
	long cap;
	const char *name;
} required_caps[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
    {KVM_CAP_PIT2, "KVM_CAP_PIT2"},
    {KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING"},
    {KVM_CAP_IRQFD, "KVM_CAP_IRQFD"},
    {KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"},
    {KVM_CAP_IOEVENTFD_ANY_LENGTH, "KVM_CAP_IOEVENTFD_ANY_LENGTH"},
    {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
    {KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
    {KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI"},
};

/* ioctl() retried on EINTR (not used for KVM_RUN, where EINTR is the point). */
static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

int kvm_open(const char *dev, struct kvm **out)
{
	struct kvm *kvm;
	size_t i;
	int ret;

	if (!dev)
		dev = "/dev/kvm";
	kvm = calloc(1, sizeof(*kvm));
	if (!kvm)
		return -ENOMEM;
	kvm->vm_fd = -1;
	pthread_mutex_init(&kvm->routes_lock, NULL);
	pthread_mutex_init(&kvm->coalesced_lock, NULL);
	kvm->sys_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm->sys_fd < 0) {
		ret = -errno;
		pr_err(
		    "cannot open %s: %s (load kvm_intel or kvm_amd, or run inside the nested tier: "
		    "tests/nested/l1run.sh)",
		    dev, strerror(-ret));
		goto err_free;
	}
	ret = xioctl(kvm->sys_fd, KVM_GET_API_VERSION, NULL);
	if (ret != KVM_API_VERSION) {
		pr_err("%s reports KVM API version %d, need %d", dev, ret, KVM_API_VERSION);
		ret = -ENOTSUP;
		goto err_sys;
	}
	ret = xioctl(kvm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (ret < (int)sizeof(struct kvm_run)) {
		pr_err("KVM_GET_VCPU_MMAP_SIZE returned %d", ret);
		ret = ret < 0 ? ret : -EINVAL;
		goto err_sys;
	}
	kvm->run_size = (size_t)ret;
	ret = xioctl(kvm->sys_fd, KVM_CREATE_VM, (void *)0);
	if (ret < 0) {
		pr_err("KVM_CREATE_VM: %s", strerror(-ret));
		goto err_sys;
	}
	kvm->vm_fd = ret;
	if (fcntl(kvm->vm_fd, F_SETFD, FD_CLOEXEC) < 0) {
		ret = -errno;
		goto err_vm;
	}
	for (i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (kvm_check_cap(kvm, required_caps[i].cap) <= 0) {
			pr_err("this kernel's KVM lacks %s, which nfvisor-vmm needs",
			       required_caps[i].name);
			ret = -ENOTSUP;
			goto err_vm;
		}
	}
	*out = kvm;
	return 0;

err_vm:
	close(kvm->vm_fd);
err_sys:
	close(kvm->sys_fd);
err_free:
	pthread_mutex_destroy(&kvm->coalesced_lock);
	pthread_mutex_destroy(&kvm->routes_lock);
	free(kvm);
	return ret;
}

void kvm_close(struct kvm *kvm)
{
	if (!kvm)
		return;
	close(kvm->vm_fd);
	close(kvm->sys_fd);
	pthread_mutex_destroy(&kvm->coalesced_lock);
	pthread_mutex_destroy(&kvm->routes_lock);
	free(kvm);
}

int kvm_coalesce_pio(struct kvm *kvm, uint16_t port, uint32_t len)
{
	struct kvm_coalesced_mmio_zone zone = {.addr = port, .size = len, .pio = 1};
	long page = sysconf(_SC_PAGESIZE);
	int off, ret;

	if (len == 0 || (uint32_t)port + len > 0x10000)
		return -EINVAL;
	off = kvm_check_cap(kvm, KVM_CAP_COALESCED_MMIO);
	if (off <= 0 || kvm_check_cap(kvm, KVM_CAP_COALESCED_PIO) <= 0 || page <= 0 ||
	    ((size_t)off + 1) * (size_t)page > kvm->run_size)
		return -ENOTSUP;
	ret = xioctl(kvm->vm_fd, KVM_REGISTER_COALESCED_MMIO, &zone);
	if (ret < 0)
		return ret;
	/* Entries that fit in the ring page after its two indices. */
	kvm->coalesced_max = (unsigned)(((size_t)page - sizeof(struct kvm_coalesced_mmio_ring)) /
					sizeof(struct kvm_coalesced_mmio));
	atomic_store(&kvm->coalesced_off, (size_t)off * (size_t)page);
	return 0;
}

unsigned kvm_coalesced_ring_drain(struct kvm_coalesced_mmio_ring *ring, unsigned max,
				  kvm_coalesced_fn fn, void *opaque)
{
	uint32_t first = __atomic_load_n(&ring->first, __ATOMIC_RELAXED);
	unsigned n = 0;

	if (max == 0)
		return 0;
	/* The kernel produces at last; bounded by max even if the guest-shared
	 * indices were garbage. */
	while (n < max && first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
		const struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[first % max];

		if (e->len)
			fn(opaque, e->pio != 0, e->phys_addr, e->data, e->len > 8 ? 8 : e->len);
		first = (first + 1) % max;
		__atomic_store_n(&ring->first, first, __ATOMIC_RELEASE);
		n++;
	}
	return n;
}

int kvm_check_cap(struct kvm *kvm, long cap)
{
	int ret = xioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, (void *)cap);

	return ret < 0 ? 0 : ret;
}

int kvm_set_memslot(struct kvm *kvm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
	    .slot = slot,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uintptr_t)hva,
	};
	int ret;

	if ((gpa | size | (uintptr_t)hva) & 0xfff)
		return -EINVAL;
	ret = xioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
	if (ret < 0)
		pr_err("memslot %u gpa 0x%llx size 0x%llx: %s", slot, (unsigned long long)gpa,
		       (unsigned long long)size, strerror(-ret));
	return ret < 0 ? ret : 0;
}

static int routing_commit(struct kvm *kvm);

int kvm_setup_irqchip(struct kvm *kvm)
{
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
	int ret;

	ret = xioctl(kvm->vm_fd, KVM_SET_TSS_ADDR, (void *)(uintptr_t)KVM_TSS_ADDR);
	if (ret < 0) {
		pr_err("KVM_SET_TSS_ADDR 0x%llx: %s", KVM_TSS_ADDR, strerror(-ret));
		return ret;
	}
	ret = xioctl(kvm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	if (ret < 0) {
		pr_err("KVM_SET_IDENTITY_MAP_ADDR 0x%llx: %s", KVM_IDENTITY_MAP_ADDR,
		       strerror(-ret));
		return ret;
	}
	ret = xioctl(kvm->vm_fd, KVM_CREATE_IRQCHIP, NULL);
	if (ret < 0) {
		pr_err("KVM_CREATE_IRQCHIP: %s", strerror(-ret));
		return ret;
	}
	ret = xioctl(kvm->vm_fd, KVM_CREATE_PIT2, &pit);
	if (ret < 0) {
		pr_err("KVM_CREATE_PIT2: %s", strerror(-ret));
		return ret;
	}
	/* KVM's default table routes GSI 0 to IOAPIC pin 0; ours to pin 2. */
	pthread_mutex_lock(&kvm->routes_lock);
	ret = routing_commit(kvm);
	pthread_mutex_unlock(&kvm->routes_lock);
	return ret;
}

int kvm_irq_line(struct kvm *kvm, uint32_t irq, int level)
{
	struct kvm_irq_level l = {.irq = irq, .level = level ? 1 : 0};
	int ret = xioctl(kvm->vm_fd, KVM_IRQ_LINE, &l);

	if (ret < 0)
		pr_err("KVM_IRQ_LINE irq %u level %d: %s", irq, l.level, strerror(-ret));
	return ret < 0 ? ret : 0;
}

static void routing_add_chip(struct kvm_irq_routing *r, uint32_t gsi, uint32_t chip, uint32_t pin)
{
	struct kvm_irq_routing_entry *e = &r->entries[r->nr++];

	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/* Build the full table (defaults + MSI routes) and hand it to KVM. Caller
 * holds routes_lock. */
static int routing_commit(struct kvm *kvm)
{
	struct kvm_irq_routing *r;
	uint32_t gsi, i;
	int ret;

	r = calloc(1, sizeof(*r) + (size_t)(40 + KVM_MAX_MSI_ROUTES) * sizeof(r->entries[0]));
	if (!r)
		return -ENOMEM;
	/* A PC's wiring, as the MP table and the MADT describe it: ISA lines
	 * reach the PICs and the IOAPIC pin of the same number, except that
	 * the PIT (GSI 0) is wired to IOAPIC pin 2 (the interrupt source
	 * override 0 -> 2) and line 2 is the PIC cascade. PCI lines 16-23 go
	 * to the IOAPIC only. */
	for (gsi = 0; gsi < 16; gsi++) {
		if (gsi == 2)
			continue;
		routing_add_chip(r, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
				 gsi % 8);
		routing_add_chip(r, gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
	}
	for (gsi = 16; gsi < KVM_FIRST_MSI_GSI; gsi++)
		routing_add_chip(r, gsi, KVM_IRQCHIP_IOAPIC, gsi);
	for (i = 0; i < KVM_MAX_MSI_ROUTES; i++) {
		struct kvm_irq_routing_entry *e;

		if (!kvm->msi[i].used)
			continue;
		e = &r->entries[r->nr++];
		memset(e, 0, sizeof(*e));
		e->gsi = KVM_FIRST_MSI_GSI + i;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = (uint32_t)kvm->msi[i].addr;
		e->u.msi.address_hi = (uint32_t)(kvm->msi[i].addr >> 32);
		e->u.msi.data = kvm->msi[i].data;
	}
	ret = xioctl(kvm->vm_fd, KVM_SET_GSI_ROUTING, r);
	if (ret < 0)
		pr_err("KVM_SET_GSI_ROUTING (%u entries): %s", r->nr, strerror(-ret));
	free(r);
	return ret < 0 ? ret : 0;
}

int kvm_msi_route_add(struct kvm *kvm, uint64_t addr, uint32_t data, uint32_t *gsi)
{
	uint32_t i;
	int ret = -ENOSPC;

	pthread_mutex_lock(&kvm->routes_lock);
	for (i = 0; i < KVM_MAX_MSI_ROUTES; i++) {
		if (kvm->msi[i].used)
			continue;
		kvm->msi[i].used = true;
		kvm->msi[i].addr = addr;
		kvm->msi[i].data = data;
		ret = routing_commit(kvm);
		if (ret)
			kvm->msi[i].used = false;
		else
			*gsi = KVM_FIRST_MSI_GSI + i;
		break;
	}
	pthread_mutex_unlock(&kvm->routes_lock);
	if (ret == -ENOSPC)
		pr_err("all %u MSI routes are in use", KVM_MAX_MSI_ROUTES);
	return ret;
}

/* Index into kvm->msi of an allocated MSI GSI, or -1. */
static int msi_index(const struct kvm *kvm, uint32_t gsi)
{
	if (gsi < KVM_FIRST_MSI_GSI || gsi - KVM_FIRST_MSI_GSI >= KVM_MAX_MSI_ROUTES ||
	    !kvm->msi[gsi - KVM_FIRST_MSI_GSI].used)
		return -1;
	return (int)(gsi - KVM_FIRST_MSI_GSI);
}

int kvm_msi_route_update(struct kvm *kvm, uint32_t gsi, uint64_t addr, uint32_t data)
{
	int i, ret = -ENOENT;

	pthread_mutex_lock(&kvm->routes_lock);
	i = msi_index(kvm, gsi);
	if (i >= 0) {
		kvm->msi[i].addr = addr;
		kvm->msi[i].data = data;
		ret = routing_commit(kvm);
	}
	pthread_mutex_unlock(&kvm->routes_lock);
	return ret;
}

int kvm_msi_route_del(struct kvm *kvm, uint32_t gsi)
{
	int i, ret = -ENOENT;

	pthread_mutex_lock(&kvm->routes_lock);
	i = msi_index(kvm, gsi);
	if (i >= 0) {
		kvm->msi[i].used = false;
		ret = routing_commit(kvm);
	}
	pthread_mutex_unlock(&kvm->routes_lock);
	return ret;
}

int kvm_irqfd(struct kvm *kvm, int fd, uint32_t gsi, bool assign)
{
	struct kvm_irqfd req = {
	    .fd = (uint32_t)fd,
	    .gsi = gsi,
	    .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};
	int ret = xioctl(kvm->vm_fd, KVM_IRQFD, &req);

	if (ret < 0)
		pr_err("KVM_IRQFD fd %d gsi %u %s: %s", fd, gsi, assign ? "assign" : "deassign",
		       strerror(-ret));
	return ret < 0 ? ret : 0;
}

int kvm_ioeventfd(struct kvm *kvm, uint64_t addr, uint32_t len, bool pio, int fd, bool assign,
		  bool match, uint64_t datamatch)
{
	struct kvm_ioeventfd req = {
	    .datamatch = datamatch,
	    .addr = addr,
	    .len = len,
	    .fd = fd,
	};
	int ret;

	if (pio)
		req.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (!assign)
		req.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	if (match)
		req.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
	ret = xioctl(kvm->vm_fd, KVM_IOEVENTFD, &req);
	if (ret < 0)
		pr_err("KVM_IOEVENTFD %s 0x%llx len %u fd %d %s: %s", pio ? "port" : "mmio",
		       (unsigned long long)addr, len, fd, assign ? "assign" : "deassign",
		       strerror(-ret));
	return ret < 0 ? ret : 0;
}

int kvm_signal_msi(struct kvm *kvm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
	    .address_lo = (uint32_t)addr,
	    .address_hi = (uint32_t)(addr >> 32),
	    .data = data,
	};
	int ret = xioctl(kvm->vm_fd, KVM_SIGNAL_MSI, &msi);

	if (ret < 0)
		pr_err("KVM_SIGNAL_MSI addr 0x%llx data 0x%x: %s", (unsigned long long)addr, data,
		       strerror(-ret));
	return ret;
}

static int router_add(void *kvm, uint64_t addr, uint32_t data, uint32_t *gsi)
{
	return kvm_msi_route_add(kvm, addr, data, gsi);
}

static int router_update(void *kvm, uint32_t gsi, uint64_t addr, uint32_t data)
{
	return kvm_msi_route_update(kvm, gsi, addr, data);
}

static void router_del(void *kvm, uint32_t gsi)
{
	kvm_msi_route_del(kvm, gsi);
}

static int router_irqfd(void *kvm, int fd, uint32_t gsi, bool assign)
{
	return kvm_irqfd(kvm, fd, gsi, assign);
}

static int router_signal(void *kvm, uint64_t addr, uint32_t data)
{
	int ret = kvm_signal_msi(kvm, addr, data);

	return ret < 0 ? ret : 0;
}

const struct msi_router_ops kvm_msi_router = {
    .route_add = router_add,
    .route_update = router_update,
    .route_del = router_del,
    .irqfd = router_irqfd,
    .signal = router_signal,
};

int kvm_get_supported_cpuid(struct kvm *kvm, struct kvm_cpuid2 **out)
{
	uint32_t n = 64;
	int ret;

	for (;;) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));

		if (!c)
			return -ENOMEM;
		c->nent = n;
		ret = xioctl(kvm->sys_fd, KVM_GET_SUPPORTED_CPUID, c);
		if (ret >= 0) {
			*out = c;
			return 0;
		}
		free(c);
		if (ret != -E2BIG || n >= 4096) {
			pr_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(-ret));
			return ret;
		}
		n *= 2;
	}
}

int kvm_vcpu_create(struct kvm *kvm, unsigned id, struct kvm_vcpu **out)
{
	struct kvm_vcpu *v;
	int ret;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->kvm = kvm;
	v->id = id;
	ret = xioctl(kvm->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)id);
	if (ret < 0) {
		pr_err("KVM_CREATE_VCPU %u: %s", id, strerror(-ret));
		goto err_free;
	}
	v->fd = ret;
	if (fcntl(v->fd, F_SETFD, FD_CLOEXEC) < 0) {
		ret = -errno;
		goto err_close;
	}
	v->run = mmap(NULL, kvm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		ret = -errno;
		pr_err("mmap of vCPU %u kvm_run: %s", id, strerror(-ret));
		goto err_close;
	}
	*out = v;
	return 0;

err_close:
	close(v->fd);
err_free:
	free(v);
	return ret;
}

void kvm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	if (!vcpu)
		return;
	munmap(vcpu->run, vcpu->kvm->run_size);
	close(vcpu->fd);
	free(vcpu);
}

unsigned kvm_vcpu_id(const struct kvm_vcpu *vcpu)
{
	return vcpu->id;
}

struct kvm_run *kvm_vcpu_run_data(struct kvm_vcpu *vcpu)
{
	return vcpu->run;
}

void kvm_vcpu_flush_coalesced(struct kvm_vcpu *vcpu, kvm_coalesced_fn fn, void *opaque)
{
	size_t off = atomic_load(&vcpu->kvm->coalesced_off);

	if (!off)
		return;
	pthread_mutex_lock(&vcpu->kvm->coalesced_lock);
	kvm_coalesced_ring_drain((struct kvm_coalesced_mmio_ring *)((uint8_t *)vcpu->run + off),
				 vcpu->kvm->coalesced_max, fn, opaque);
	pthread_mutex_unlock(&vcpu->kvm->coalesced_lock);
}

int kvm_vcpu_run(struct kvm_vcpu *vcpu)
{
	if (ioctl(vcpu->fd, KVM_RUN, NULL) == 0)
		return 0;
	if (errno == EINTR || errno == EAGAIN) {
		/* Whoever asked for the exit has already recorded why. */
		atomic_store((_Atomic uint8_t *)&vcpu->run->immediate_exit, 0);
		return -EINTR;
	}
	return -errno;
}

void kvm_vcpu_set_immediate_exit(struct kvm_vcpu *vcpu)
{
	atomic_store((_Atomic uint8_t *)&vcpu->run->immediate_exit, 1);
}

#define VCPU_IOCTL(vcpu, req, arg, what)                                                           \
	({                                                                                         \
		int r_ = xioctl((vcpu)->fd, (req), (arg));                                         \
		if (r_ < 0)                                                                        \
			pr_err("vCPU %u: %s: %s", (vcpu)->id, (what), strerror(-r_));              \
		r_ < 0 ? r_ : 0;                                                                   \
	})

int kvm_vcpu_set_cpuid(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid)
{
	return VCPU_IOCTL(vcpu, KVM_SET_CPUID2, (void *)cpuid, "KVM_SET_CPUID2");
}

int kvm_vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	return VCPU_IOCTL(vcpu, KVM_GET_REGS, regs, "KVM_GET_REGS");
}

int kvm_vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	return VCPU_IOCTL(vcpu, KVM_SET_REGS, (void *)regs, "KVM_SET_REGS");
}

int kvm_vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	return VCPU_IOCTL(vcpu, KVM_GET_SREGS, sregs, "KVM_GET_SREGS");
}

int kvm_vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	return VCPU_IOCTL(vcpu, KVM_SET_SREGS, (void *)sregs, "KVM_SET_SREGS");
}

int kvm_vcpu_set_msrs(struct kvm_vcpu *vcpu, const struct kvm_msr_entry *entries, uint32_t n)
{
	struct kvm_msrs *m;
	int ret;

	m = calloc(1, sizeof(*m) + (size_t)n * sizeof(*entries));
	if (!m)
		return -ENOMEM;
	m->nmsrs = n;
	memcpy(m->entries, entries, (size_t)n * sizeof(*entries));
	ret = xioctl(vcpu->fd, KVM_SET_MSRS, m);
	free(m);
	/* KVM_SET_MSRS returns how many MSRs it set; stopping short means the
	 * entry at that index was refused. */
	if (ret >= 0 && (uint32_t)ret != n) {
		pr_err("vCPU %u: KVM_SET_MSRS refused MSR 0x%x", vcpu->id, entries[ret].index);
		return -EINVAL;
	}
	if (ret < 0)
		pr_err("vCPU %u: KVM_SET_MSRS: %s", vcpu->id, strerror(-ret));
	return ret < 0 ? ret : 0;
}

int kvm_vcpu_get_mp_state(struct kvm_vcpu *vcpu, uint32_t *state)
{
	struct kvm_mp_state mp;
	int ret = VCPU_IOCTL(vcpu, KVM_GET_MP_STATE, &mp, "KVM_GET_MP_STATE");

	if (!ret)
		*state = mp.mp_state;
	return ret;
}

int kvm_vcpu_set_mp_state(struct kvm_vcpu *vcpu, uint32_t state)
{
	struct kvm_mp_state mp = {.mp_state = state};

	return VCPU_IOCTL(vcpu, KVM_SET_MP_STATE, &mp, "KVM_SET_MP_STATE");
}

static uint32_t lapic_get(const struct kvm_lapic_state *s, unsigned off)
{
	uint32_t v;

	memcpy(&v, &s->regs[off], sizeof(v));
	return v;
}

static void lapic_set(struct kvm_lapic_state *s, unsigned off, uint32_t v)
{
	memcpy(&s->regs[off], &v, sizeof(v));
}

int kvm_vcpu_setup_lints(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic_state lapic;
	int ret;

	ret = VCPU_IOCTL(vcpu, KVM_GET_LAPIC, &lapic, "KVM_GET_LAPIC");
	if (ret)
		return ret;
	/* Delivery mode lives in bits 8-10 of an LVT entry. */
	lapic_set(&lapic, APIC_LVT0,
		  (lapic_get(&lapic, APIC_LVT0) & ~0x700u) | (APIC_MODE_EXTINT << 8));
	lapic_set(&lapic, APIC_LVT1,
		  (lapic_get(&lapic, APIC_LVT1) & ~0x700u) | (APIC_MODE_NMI << 8));
	return VCPU_IOCTL(vcpu, KVM_SET_LAPIC, &lapic, "KVM_SET_LAPIC");
}

int kvm_vcpu_translate(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t *gpa)
{
	struct kvm_translation t = {.linear_address = gva};
	int ret = xioctl(vcpu->fd, KVM_TRANSLATE, &t);

	if (ret < 0)
		return ret;
	if (!t.valid)
		return -EFAULT;
	*gpa = t.physical_address;
	return 0;
}

#define KVM_EXIT_NAMES(X)                                                                          \
	X(UNKNOWN)                                                                                 \
	X(EXCEPTION)                                                                               \
	X(IO)                                                                                      \
	X(HYPERCALL)                                                                               \
	X(DEBUG)                                                                                   \
	X(HLT)                                                                                     \
	X(MMIO)                                                                                    \
	X(IRQ_WINDOW_OPEN)                                                                         \
	X(SHUTDOWN)                                                                                \
	X(FAIL_ENTRY)                                                                              \
	X(INTR)                                                                                    \
	X(SET_TPR)                                                                                 \
	X(TPR_ACCESS)                                                                              \
	X(S390_SIEIC)                                                                              \
	X(S390_RESET)                                                                              \
	X(DCR)                                                                                     \
	X(NMI)                                                                                     \
	X(INTERNAL_ERROR)                                                                          \
	X(OSI)                                                                                     \
	X(PAPR_HCALL)                                                                              \
	X(S390_UCONTROL)                                                                           \
	X(WATCHDOG)                                                                                \
	X(S390_TSCH)                                                                               \
	X(EPR)                                                                                     \
	X(SYSTEM_EVENT)                                                                            \
	X(S390_STSI)                                                                               \
	X(IOAPIC_EOI)                                                                              \
	X(HYPERV)                                                                                  \
	X(ARM_NISV)                                                                                \
	X(X86_RDMSR)                                                                               \
	X(X86_WRMSR)                                                                               \
	X(DIRTY_RING_FULL)                                                                         \
	X(AP_RESET_HOLD)                                                                           \
	X(X86_BUS_LOCK)                                                                            \
	X(XEN)

const char *kvm_exit_name(uint32_t reason)
{
#define X(name) [KVM_EXIT_##name] = #name,
	static const char *const names[] = {KVM_EXIT_NAMES(X)};
#undef X

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "UNKNOWN";
}
