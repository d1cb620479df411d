/* SPDX-License-Identifier: MIT */
/* Run-time syscall allow-list for nfvisor-vmm (see seccomp.h). The list was
 * taken from `strace -f` of nfguest hello, a virtio-net run with vhost-user
 * reconnects and a SIGTERM stop, plus what glibc needs to start and join the
 * vCPU threads. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOG_PREFIX "seccomp"
#include "common/log.h"
#include "vmm/seccomp.h"

int vmm_seccomp_parse(const char *arg, enum vmm_seccomp_mode *out)
{
	if (!strcmp(arg, "on"))
		*out = VMM_SECCOMP_ON;
	else if (!strcmp(arg, "off"))
		*out = VMM_SECCOMP_OFF;
	else if (!strcmp(arg, "log"))
		*out = VMM_SECCOMP_LOG;
	else {
		pr_err("invalid --seccomp value '%s': expected on, off or log", arg);
		return -EINVAL;
	}
	return 0;
}

/* Syscalls allowed with any arguments. */
static const int allowed[] = {
    /* I/O on fds that are already open */
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(close),
    SCMP_SYS(lseek),
    SCMP_SYS(ftruncate), /* the serial file at --serial-limit */
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(fcntl),
    SCMP_SYS(dup),
    /* event loop, eventfds, timers */
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(eventfd2),
    SCMP_SYS(timerfd_settime),
    SCMP_SYS(timerfd_gettime),
    /* vhost-user sessions (messages with fds) and reconnects */
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvfrom),
    SCMP_SYS(sendto),
    SCMP_SYS(connect),
    SCMP_SYS(accept4),
    SCMP_SYS(shutdown),
    SCMP_SYS(getsockopt),
    /* memory */
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    SCMP_SYS(brk),
    SCMP_SYS(mremap),
    /* threads, signals, time */
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(sched_setaffinity),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(tgkill),
    SCMP_SYS(tkill),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(getrandom),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(restart_syscall),
};

static int add_rules(scmp_filter_ctx ctx)
{
	size_t i;
	int ret;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
		if (ret)
			return ret;
	}
	/* ioctl: KVM (vCPU run, IRQ lines, MSI routes, irqfd/ioeventfd, memslots,
	 * register dumps), VFIO (interrupt set-up at MSI-X enable) and TCGETS for
	 * stdio's isatty(); nothing else (no TIOCSTI, no SIOC*). */
	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			       SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, KVMIO << 8));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, VFIO_TYPE << 8));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_EQ, TCGETS));
	/* Sockets: AF_UNIX only (vhost-user reconnect). */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				       SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	/* Thread creation only: clone must carry CLONE_THREAD (no fork). clone3
	 * takes its flags in memory the filter cannot see, so it fails with
	 * ENOSYS and glibc falls back to clone. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* Opening files: the VMM opens everything it needs before the filter,
	 * but glibc may still probe /proc or /sys lazily on a vCPU thread (seen
	 * with a Linux guest and --net, minutes into a run). Such a probe gets
	 * EACCES and falls back; it must not kill the VM. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
	/* Removing files: a vhost-user server socket is unlinked at exit
	 * (virtio_net_destroy, after the filter). It fails with EACCES instead
	 * of killing the VMM: the next bind to that path removes the stale
	 * socket and the orchestrator removes its run directory at down. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(unlink), 0);
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(unlinkat), 0);
	/* prctl: thread names (pthread_setname_np) only. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				       SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
	return ret;
}

/* Drop the bounding set (needs CAP_SETPCAP; skipped without it) and then
 * the effective, permitted and inheritable sets. */
static int drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	unsigned long cap;

	if (syscall(SYS_capget, &hdr, data) == 0 && (data[0].effective & (1u << CAP_SETPCAP))) {
		for (cap = 0; cap <= 63; cap++) {
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
				break;
		}
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0) {
		int ret = -errno;

		pr_err("cannot drop capabilities: %s (run with --seccomp=off to skip the sandbox)",
		       strerror(-ret));
		return ret;
	}
	return 0;
}

int vmm_sandbox_enter(enum vmm_seccomp_mode mode)
{
	scmp_filter_ctx ctx;
	int ret;

#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer stops the world with ptrace from a non-thread clone at
	 * exit; a killing filter would turn every exit into SIGSYS. */
	if (mode == VMM_SECCOMP_ON) {
		pr_warn("sanitizer build: seccomp runs in log mode (--seccomp=log)");
		mode = VMM_SECCOMP_LOG;
	}
#endif
	if (mode == VMM_SECCOMP_OFF) {
		pr_info("--seccomp=off: no syscall filter, capabilities kept");
		return 0;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		ret = -errno;
		pr_err("prctl(PR_SET_NO_NEW_PRIVS): %s (use --seccomp=off on kernels without it)",
		       strerror(-ret));
		return ret;
	}
	ret = drop_capabilities();
	if (ret)
		return ret;
	ctx = seccomp_init(mode == VMM_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		pr_err("seccomp_init failed (out of memory?); use --seccomp=off to run without it");
		return -ENOMEM;
	}
	ret = add_rules(ctx);
	if (ret) {
		pr_err("cannot build the seccomp filter: %s (libseccomp too old? use "
		       "--seccomp=off)",
		       strerror(-ret));
		goto out;
	}
	ret = seccomp_load(ctx);
	if (ret) {
		pr_err("cannot load the seccomp filter: %s (kernel without "
		       "CONFIG_SECCOMP_FILTER? use --seccomp=off)",
		       strerror(-ret));
		goto out;
	}
	pr_debug("seccomp filter installed (%s), capabilities dropped",
		 mode == VMM_SECCOMP_LOG ? "log" : "kill");
out:
	seccomp_release(ctx);
	return ret;
}

void vmm_seccomp_test_hook(void)
{
	const char *v = getenv("NFV_TEST_FORBIDDEN_SYSCALL");
	char *const argv[] = {(char *)"/bin/true", NULL};

	if (!v || strcmp(v, "1"))
		return;
	pr_warn("NFV_TEST_FORBIDDEN_SYSCALL=1: calling execve(/bin/true) from the emulation "
		"thread");
	execve("/bin/true", argv, environ);
	pr_err("execve(/bin/true) failed: %s", strerror(errno));
}
