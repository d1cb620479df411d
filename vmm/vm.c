/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "vm"
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/acpi_pm.h"
#include "vmm/boot.h"
#include "vmm/cpuid.h"
#include "vmm/i8042.h"
#include "vmm/layout.h"
#include "vmm/pci.h"
#include "vmm/rtc.h"
#include "vmm/serial.h"
#include "vmm/vcpu.h"

struct vm_watch {
	int fd;
	void (*cb)(void *opaque, uint32_t events);
	void *opaque;
	struct vm_watch *next;
};

struct vm {
	struct vm_config cfg;
	struct guest_mem *mem;
	struct boot_result boot;
	struct kvm *kvm;
	unsigned nslots;
	struct bus *pio, *mmio;
	struct serial *serial;
	int serial_out_fd;
	bool serial_out_owned;
	struct i8042 *i8042;
	struct acpi_pm *pm;
	struct rtc *rtc;
	struct vcpu *vcpus[VM_MAX_VCPUS];
	unsigned nvcpus;
	bool hooks_done;

	int epoll_fd, signal_fd, stop_fd;
	struct vm_watch *watches;
	atomic_int stop_reason;
	int stop_signal;

	/* Console input: bytes read from stdin that the RX FIFO did not take.
	 * stdin_on: stdin is in the epoll set; stdin_file: stdin is a regular
	 * file (epoll refuses those), read whenever the FIFO has room. */
	bool stdin_on;
	bool stdin_file;
	uint8_t pending[256];
	size_t pending_off, pending_len;
	struct termios saved_tio;
	bool tio_saved;
};

void vm_request_stop(void *opaque, enum vm_stop_reason reason)
{
	struct vm *vm = opaque;
	int none = VM_STOP_NONE;
	uint64_t one = 1;

	atomic_compare_exchange_strong(&vm->stop_reason, &none, (int)reason);
	if (write(vm->stop_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_err("cannot signal the stop request: %s", strerror(errno));
}

static struct vm_watch *find_watch(struct vm *vm, int fd, struct vm_watch ***link)
{
	struct vm_watch **pp;

	for (pp = &vm->watches; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			if (link)
				*link = pp;
			return *pp;
		}
	}
	return NULL;
}

int vm_watch_fd(struct vm *vm, int fd, uint32_t events, void (*cb)(void *opaque, uint32_t events),
		void *opaque)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	struct vm_watch *w;

	if (find_watch(vm, fd, NULL))
		return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	if (epoll_ctl(vm->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int ret = -errno;

		free(w);
		return ret;
	}
	w->fd = fd;
	w->cb = cb;
	w->opaque = opaque;
	w->next = vm->watches;
	vm->watches = w;
	return 0;
}

int vm_unwatch_fd(struct vm *vm, int fd)
{
	struct vm_watch **link, *w = find_watch(vm, fd, &link);

	if (!w)
		return -ENOENT;
	epoll_ctl(vm->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	*link = w->next;
	free(w);
	return 0;
}

bool vm_stopping(void *opaque)
{
	struct vm *vm = opaque;

	return atomic_load(&vm->stop_reason) != VM_STOP_NONE;
}

void vm_stop_fds(const struct vm *vm, int fds[2])
{
	fds[0] = vm->stop_fd;
	fds[1] = vm->signal_fd;
}

static void on_signal(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;

	if (read(vm->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (atomic_load(&vm->stop_reason) == VM_STOP_NONE)
		vm->stop_signal = (int)si.ssi_signo;
	pr_info("received SIG%s, stopping the guest", sigabbrev_np((int)si.ssi_signo));
	vm_request_stop(vm, VM_STOP_SIGNAL);
}

static void on_stop_event(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	uint64_t v;

	/* The loop checks stop_reason; this only drains the counter. */
	if (read(vm->stop_fd, &v, sizeof(v)) < 0)
		pr_debug("stop eventfd: %s", strerror(errno));
}

/* Push pending console bytes into the UART; true when all were taken. */
static bool console_flush(struct vm *vm)
{
	size_t n = serial_receive(vm->serial, vm->pending + vm->pending_off,
				  vm->pending_len - vm->pending_off);

	vm->pending_off += n;
	if (vm->pending_off < vm->pending_len)
		return false;
	vm->pending_off = vm->pending_len = 0;
	return true;
}

static void on_stdin(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	ssize_t n = read(STDIN_FILENO, vm->pending, sizeof(vm->pending));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* End of input (or an unreadable stdin): the guest just stops
		 * getting console input. */
		vm_unwatch_fd(vm, STDIN_FILENO);
		vm->stdin_on = false;
		return;
	}
	vm->pending_off = 0;
	vm->pending_len = (size_t)n;
	/* FIFO full: stop reading until the guest drains it. */
	if (!console_flush(vm)) {
		vm_unwatch_fd(vm, STDIN_FILENO);
		vm->stdin_on = false;
	}
}

/* Feed a regular-file stdin until the FIFO is full or the file ends. */
static void console_pull_file(struct vm *vm)
{
	ssize_t n;

	while (vm->stdin_file) {
		n = read(STDIN_FILENO, vm->pending, sizeof(vm->pending));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vm->stdin_file = false;
			return;
		}
		vm->pending_off = 0;
		vm->pending_len = (size_t)n;
		if (!console_flush(vm))
			return;
	}
}

static void on_serial_rx_room(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	uint64_t v;

	if (read(serial_rx_wait_fd(vm->serial), &v, sizeof(v)) < 0)
		return;
	if (vm->pending_len && !console_flush(vm))
		return;
	if (vm->stdin_file)
		console_pull_file(vm);
	else if (!vm->stdin_on && vm_watch_fd(vm, STDIN_FILENO, EPOLLIN, on_stdin, vm) == 0)
		vm->stdin_on = true;
}

static void serial_irq(void *opaque, int level)
{
	struct vm *vm = opaque;

	kvm_irq_line(vm->kvm, IRQ_COM1, level);
}

static int setup_signals(struct vm *vm)
{
	sigset_t set;
	int ret;

	ret = vcpu_signals_init();
	if (ret)
		return ret;
	/* Blocked here, so every thread created later (vCPUs, device
	 * threads) inherits the block and only the signalfd sees them. The
	 * kick signal is unblocked by vCPU threads alone. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	ret = -pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (ret)
		return ret;
	sigdelset(&set, VCPU_KICK_SIGNAL);
	vm->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vm->signal_fd < 0)
		return -errno;
	return vm_watch_fd(vm, vm->signal_fd, EPOLLIN, on_signal, vm);
}

static int setup_memslots(struct vm *vm)
{
	const struct mem_region *r;
	size_t n = guest_mem_regions(vm->mem, &r), i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = kvm_set_memslot(vm->kvm, (uint32_t)i, r[i].gpa, r[i].size, r[i].hva);
		if (ret)
			return ret;
		vm->nslots++;
	}
	return 0;
}

/* Opened before guest RAM is allocated: a bad path fails fast. */
static int open_serial_out(struct vm *vm)
{
	int ret;

	vm->serial_out_fd = STDOUT_FILENO;
	if (!vm->cfg.serial_file)
		return 0;
	vm->serial_out_fd =
	    open(vm->cfg.serial_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (vm->serial_out_fd < 0) {
		ret = -errno;
		pr_err("cannot open serial output file %s: %s (fix --serial file:PATH)",
		       vm->cfg.serial_file, strerror(-ret));
		return ret;
	}
	vm->serial_out_owned = true;
	return 0;
}

static int setup_console(struct vm *vm)
{
	int ret;

	ret = serial_create(vm->serial_out_fd, serial_irq, vm, &vm->serial);
	if (ret)
		return ret;
	ret = bus_register(vm->pio, PORT_COM1, SERIAL_NPORTS, serial_io, vm->serial, "COM1");
	if (ret)
		return ret;
	if (vm->cfg.serial_file) {
		serial_set_out_limit(vm->serial, vm->cfg.serial_limit);
		return 0;
	}
	ret = vm_watch_fd(vm, serial_rx_wait_fd(vm->serial), EPOLLIN, on_serial_rx_room, vm);
	if (ret)
		return ret;
	/* stdin may be a pipe/tty (watched), a regular file (read as the FIFO
	 * drains) or closed (the guest gets no input). */
	ret = vm_watch_fd(vm, STDIN_FILENO, EPOLLIN, on_stdin, vm);
	if (ret == 0) {
		vm->stdin_on = true;
	} else if (ret == -EPERM) {
		vm->stdin_file = true;
		console_pull_file(vm);
	}
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &vm->saved_tio) == 0) {
		struct termios t = vm->saved_tio;

		/* Keystrokes go to the guest as typed; ^C still stops the VMM. */
		t.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
			vm->tio_saved = true;
	}
	return 0;
}

static int setup_devices(struct vm *vm)
{
	int ret;

	ret = bus_create("pio", &vm->pio);
	if (ret)
		return ret;
	ret = bus_create("mmio", &vm->mmio);
	if (ret)
		return ret;
	ret = setup_console(vm);
	if (ret)
		return ret;
	ret = i8042_create(vm_request_stop, vm, &vm->i8042);
	if (ret)
		return ret;
	ret = bus_register(vm->pio, PORT_I8042_DATA, 1, i8042_data_io, vm->i8042, "i8042");
	if (ret)
		return ret;
	ret = bus_register(vm->pio, PORT_I8042_CMD, 1, i8042_cmd_io, vm->i8042, "i8042");
	if (ret)
		return ret;
	ret = acpi_pm_create(vm_request_stop, vm, &vm->pm);
	if (ret)
		return ret;
	ret = bus_register(vm->pio, PORT_ACPI_PM1A_EVT, ACPI_PM1_EVT_LEN, acpi_pm_evt_io, vm->pm,
			   "ACPI PM1a_EVT");
	if (ret)
		return ret;
	ret = bus_register(vm->pio, PORT_ACPI_PM1A_CNT, ACPI_PM1_CNT_LEN, acpi_pm_cnt_io, vm->pm,
			   "ACPI PM1a_CNT");
	if (ret)
		return ret;
	ret = rtc_create(NULL, &vm->rtc);
	if (ret)
		return ret;
	return bus_register(vm->pio, RTC_PORT, RTC_NPORTS, rtc_io, vm->rtc, "RTC/CMOS");
}

static int setup_vcpus(struct vm *vm)
{
	struct vcpu_env env = {
	    .kvm = vm->kvm,
	    .mem = vm->mem,
	    .pio = vm->pio,
	    .mmio = vm->mmio,
	    .stop = vm_request_stop,
	    .stop_opaque = vm,
	};
	struct kvm_cpuid2 *supported, *c = NULL;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	unsigned i, cap;
	bool tsc_deadline;
	int ret;

	/* KVM emulates the TSC-deadline LAPIC timer but does not list it in
	 * KVM_GET_SUPPORTED_CPUID. Without it Linux calibrates the LAPIC
	 * timer against the PIT at boot (slow, and under nesting it can fail
	 * and leave the PIT as the only clock event device). */
	tsc_deadline = kvm_check_cap(vm->kvm, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	ret = kvm_get_supported_cpuid(vm->kvm, &supported);
	if (ret)
		return ret;
	cap = supported->nent + CPUID_EXTRA_ENTRIES;
	c = calloc(1, sizeof(*c) + cap * sizeof(c->entries[0]));
	if (!c) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < vm->cfg.vcpus; i++) {
		/* Each vCPU shapes its own copy: APIC IDs differ per vCPU. */
		memcpy(c, supported, sizeof(*c) + supported->nent * sizeof(c->entries[0]));
		ret = cpuid_shape(c, cap, i, vm->cfg.vcpus);
		if (ret) {
			pr_err("shaping CPUID for vCPU %u: %s", i, strerror(-ret));
			goto out;
		}
		if (tsc_deadline)
			cpuid_enable_tsc_deadline(c);
		ret = vcpu_create(&env, i, vm->cfg.pinned ? vm->cfg.pin[i] : -1, c, &vm->vcpus[i]);
		if (ret)
			goto out;
		vm->nvcpus++;
	}
	/* Only the BSP gets an entry state; APs wait for INIT/SIPI. */
	ret = kvm_vcpu_get_sregs(vcpu_kvm(vm->vcpus[0]), &sregs);
	if (ret)
		goto out;
	boot_fill_sregs(&sregs);
	ret = kvm_vcpu_set_sregs(vcpu_kvm(vm->vcpus[0]), &sregs);
	if (ret)
		goto out;
	memset(&regs, 0, sizeof(regs));
	boot_fill_regs(&vm->boot, &regs);
	ret = kvm_vcpu_set_regs(vcpu_kvm(vm->vcpus[0]), &regs);
out:
	free(c);
	free(supported);
	return ret;
}

int vm_create(const struct vm_config *cfg, struct vm **out)
{
	struct boot_config bc = {
	    .kernel = cfg->kernel,
	    .initrd = cfg->initrd,
	    .cmdline = cfg->cmdline,
	    .ncpus = cfg->vcpus,
	    .dsdt_aml = cfg->dsdt_aml,
	    .dsdt_aml_len = cfg->dsdt_aml_len,
	    .pci = cfg->pci,
	    .pci_mmio64_base = cfg->pci ? pci_mmio64_base(cfg->mem_size) : 0,
	    .pci_mmio64_size = cfg->pci ? PCI_MMIO64_SIZE : 0,
	};
	struct vm *vm;
	int ret;

	if (!cfg->kernel || cfg->vcpus < 1 || cfg->vcpus > VM_MAX_VCPUS ||
	    cfg->n_emu_pin > VM_MAX_EMU_PIN)
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->cfg = *cfg;
	vm->serial_out_fd = vm->signal_fd = vm->stop_fd = -1;
	atomic_init(&vm->stop_reason, VM_STOP_NONE);
	vm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (vm->epoll_fd < 0) {
		ret = -errno;
		goto err;
	}
	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0) {
		ret = -errno;
		goto err;
	}
	ret = vm_watch_fd(vm, vm->stop_fd, EPOLLIN, on_stop_event, vm);
	if (ret)
		goto err;
	ret = setup_signals(vm);
	if (ret) {
		pr_err("setting up signal handling: %s", strerror(-ret));
		goto err;
	}
	ret = open_serial_out(vm);
	if (ret)
		goto err;
	if (cfg->hugepages == HUGEPAGES_NONE && !cfg->ram_shared)
		ret = guest_mem_create_private(cfg->mem_size, &vm->mem);
	else
		ret = guest_mem_create(cfg->mem_size, cfg->hugepages, &vm->mem);
	if (ret)
		goto err;
	ret = boot_load(vm->mem, &bc, &vm->boot);
	if (ret)
		goto err;
	ret = kvm_open(cfg->kvm_dev, &vm->kvm);
	if (ret)
		goto err;
	ret = setup_memslots(vm);
	if (ret)
		goto err;
	ret = kvm_setup_irqchip(vm->kvm);
	if (ret)
		goto err;
	ret = setup_devices(vm);
	if (ret)
		goto err;
	ret = setup_vcpus(vm);
	if (ret)
		goto err;
	if (cfg->hooks.setup) {
		ret = cfg->hooks.setup(vm, cfg->hooks.opaque);
		if (ret)
			goto err;
		vm->hooks_done = true;
	}
	*out = vm;
	return 0;

err:
	vm_destroy(vm);
	return ret;
}

static int pin_emulator(struct vm *vm)
{
	cpu_set_t set;
	unsigned i;

	if (!vm->cfg.n_emu_pin)
		return 0;
	CPU_ZERO(&set);
	for (i = 0; i < vm->cfg.n_emu_pin; i++)
		CPU_SET(vm->cfg.emu_pin[i], &set);
	/* pid 0: the calling thread only, after the vCPU threads exist, so
	 * floating vCPUs do not inherit the emulator's CPUs. */
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		int ret = -errno;

		pr_err("cannot pin the emulation thread to CPU %d%s: %s (check --emulator-pin)",
		       vm->cfg.emu_pin[0], vm->cfg.n_emu_pin > 1 ? " and the next" : "",
		       strerror(-ret));
		return ret;
	}
	return 0;
}

static int stop_status(struct vm *vm)
{
	switch (atomic_load(&vm->stop_reason)) {
	case VM_STOP_POWEROFF:
		pr_info("guest powered off");
		return 0;
	case VM_STOP_RESET:
		pr_info("guest reset; the VM ends here");
		return 0;
	case VM_STOP_SIGNAL:
		pr_info("VM stopped by SIG%s", sigabbrev_np(vm->stop_signal));
		return 0;
	case VM_STOP_HALT:
		pr_info("guest halted");
		return 0;
	default:
		pr_err("VM stopped after an error");
		return 1;
	}
}

int vm_run(struct vm *vm)
{
	struct epoll_event ev[8];
	unsigned i;
	int n, j;

	/* Least privilege: every fd is open, no vCPU has run yet; the vCPU
	 * threads created below inherit the jail and the filter (vmm/jail.h,
	 * vmm/seccomp.h). */
	if (vmm_jail_enter(vm->cfg.jail) || vmm_sandbox_enter(vm->cfg.seccomp)) {
		vm_request_stop(vm, VM_STOP_ERROR);
		return stop_status(vm);
	}
	vmm_seccomp_test_hook();

	for (i = 0; i < vm->nvcpus; i++) {
		if (vcpu_start(vm->vcpus[i])) {
			vm_request_stop(vm, VM_STOP_ERROR);
			break;
		}
	}
	if (pin_emulator(vm))
		vm_request_stop(vm, VM_STOP_ERROR);

	while (atomic_load(&vm->stop_reason) == VM_STOP_NONE) {
		n = epoll_wait(vm->epoll_fd, ev, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pr_err("epoll_wait: %s", strerror(errno));
			vm_request_stop(vm, VM_STOP_ERROR);
			break;
		}
		/* Look each fd up again: a callback may unwatch another. */
		for (j = 0; j < n; j++) {
			struct vm_watch *w = find_watch(vm, ev[j].data.fd, NULL);

			if (w)
				w->cb(w->opaque, ev[j].events);
		}
	}
	for (i = 0; i < vm->nvcpus; i++)
		vcpu_kick(vm->vcpus[i]);
	for (i = 0; i < vm->nvcpus; i++)
		vcpu_join(vm->vcpus[i]);
	pr_debug("ignored %llu unclaimed port and %llu unclaimed MMIO accesses",
		 (unsigned long long)bus_unknown_count(vm->pio),
		 (unsigned long long)bus_unknown_count(vm->mmio));
	return stop_status(vm);
}

void vm_destroy(struct vm *vm)
{
	unsigned i;

	if (!vm)
		return;
	/* vCPU threads first: nothing may touch a device after this. */
	for (i = 0; i < vm->nvcpus; i++)
		vcpu_kick(vm->vcpus[i]);
	for (i = 0; i < vm->nvcpus; i++)
		vcpu_join(vm->vcpus[i]);
	while (vm->watches)
		vm_unwatch_fd(vm, vm->watches->fd);
	if (vm->hooks_done && vm->cfg.hooks.teardown)
		vm->cfg.hooks.teardown(vm, vm->cfg.hooks.opaque);
	for (i = vm->nvcpus; i-- > 0;)
		vcpu_destroy(vm->vcpus[i]);
	rtc_destroy(vm->rtc);
	acpi_pm_destroy(vm->pm);
	i8042_destroy(vm->i8042);
	if (vm->tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &vm->saved_tio);
	serial_destroy(vm->serial);
	if (vm->serial_out_owned)
		close(vm->serial_out_fd);
	bus_destroy(vm->mmio);
	bus_destroy(vm->pio);
	kvm_close(vm->kvm);
	guest_mem_destroy(vm->mem);
	if (vm->signal_fd >= 0)
		close(vm->signal_fd);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	if (vm->epoll_fd >= 0)
		close(vm->epoll_fd);
	free(vm);
}

struct kvm *vm_kvm(struct vm *vm)
{
	return vm->kvm;
}

struct guest_mem *vm_mem(struct vm *vm)
{
	return vm->mem;
}

struct bus *vm_pio_bus(struct vm *vm)
{
	return vm->pio;
}

struct bus *vm_mmio_bus(struct vm *vm)
{
	return vm->mmio;
}

unsigned vm_vcpu_count(const struct vm *vm)
{
	return vm->cfg.vcpus;
}
