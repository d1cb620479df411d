// SPDX-License-Identifier: MIT
/*
 * kvmcheck: prove that /dev/kvm works — opens it, checks KVM_GET_API_VERSION
 * is 12 and creates (and drops) a VM with one vCPU.  Prints one line
 * "kvmcheck: ok api=12 vcpu_mmap=N" and exits 0, or names the failing step
 * and exits 1.  Used by the nested tier's self-test (tests/nested/).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/kvm";
	int kvm, vm, vcpu, api, mmap_size;

	kvm = open(path, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvmcheck: open %s: %s (load kvm-amd or kvm-intel)\n", path,
			strerror(errno));
		return 1;
	}
	api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		fprintf(stderr, "kvmcheck: KVM_GET_API_VERSION returned %d, expected %d\n", api,
			KVM_API_VERSION);
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "kvmcheck: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		fprintf(stderr, "kvmcheck: KVM_CREATE_VCPU: %s\n", strerror(errno));
		return 1;
	}
	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0) {
		fprintf(stderr, "kvmcheck: KVM_GET_VCPU_MMAP_SIZE returned %d\n", mmap_size);
		return 1;
	}
	printf("kvmcheck: ok api=%d vcpu_mmap=%d\n", api, mmap_size);
	close(vcpu);
	close(vm);
	close(kvm);
	return 0;
}
