/* SPDX-License-Identifier: MIT */
/* Least privilege for nfvisor-vmm: once every device, memory and socket fd
 * is open and before any vCPU enters KVM_RUN, the emulation thread sets
 * PR_SET_NO_NEW_PRIVS, drops every capability (bounding, effective,
 * permitted, inheritable) and installs a libseccomp filter that allows only
 * the syscalls the vCPU and I/O threads use at run time. Threads created
 * afterwards (the vCPUs) inherit the filter. */
#ifndef NFV_VMM_SECCOMP_H
#define NFV_VMM_SECCOMP_H

enum vmm_seccomp_mode {
	VMM_SECCOMP_ON = 0, /* default: a forbidden syscall kills the process (SIGSYS) */
	VMM_SECCOMP_LOG,    /* forbidden syscalls are allowed and logged by the kernel */
	VMM_SECCOMP_OFF,    /* no filter, no capability drop */
};

/* Parse "on", "off" or "log" (the --seccomp value). 0 or -EINVAL (logged,
 * naming the value). */
int vmm_seccomp_parse(const char *arg, enum vmm_seccomp_mode *out);

/* Enter the sandbox on the calling thread (call with no other thread of the
 * process running). No-op for VMM_SECCOMP_OFF. Returns 0 or -errno (logged);
 * on failure the caller must not run the guest. */
int vmm_sandbox_enter(enum vmm_seccomp_mode mode);

/* Test hook: if the environment has NFV_TEST_FORBIDDEN_SYSCALL=1, call a
 * syscall the filter forbids (execve of /bin/true). With the filter on the
 * process dies with SIGSYS; with it off the process becomes /bin/true. */
void vmm_seccomp_test_hook(void);

#endif
