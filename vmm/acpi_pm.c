/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "acpi"
#include "vmm/acpi_pm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct acpi_pm {
	pthread_mutex_t lock;
	vm_stop_fn stop;
	void *stop_opaque;
	uint8_t evt[ACPI_PM1_EVT_LEN]; /* status (write-1-to-clear), enable */
	uint16_t cnt;
};

int acpi_pm_create(vm_stop_fn stop, void *stop_opaque, struct acpi_pm **out)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return -ENOMEM;
	pthread_mutex_init(&pm->lock, NULL);
	pm->stop = stop;
	pm->stop_opaque = stop_opaque;
	pm->cnt = ACPI_PM1_SCI_EN;
	*out = pm;
	return 0;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	if (!pm)
		return;
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

void acpi_pm_evt_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct acpi_pm *pm = opaque;
	uint32_t i;

	if (offset >= ACPI_PM1_EVT_LEN || len > ACPI_PM1_EVT_LEN - offset)
		return;
	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < len; i++) {
		uint64_t o = offset + i;

		if (!is_write)
			data[i] = pm->evt[o];
		else if (o < 2)
			pm->evt[o] &= (uint8_t)~data[i]; /* status: write 1 to clear */
		else
			pm->evt[o] = data[i];
	}
	pthread_mutex_unlock(&pm->lock);
}

void acpi_pm_cnt_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct acpi_pm *pm = opaque;
	uint8_t bytes[2];
	uint16_t v;
	uint32_t i;

	if (offset >= ACPI_PM1_CNT_LEN || len > ACPI_PM1_CNT_LEN - offset)
		return;
	pthread_mutex_lock(&pm->lock);
	memcpy(bytes, &pm->cnt, sizeof(bytes));
	for (i = 0; i < len; i++) {
		if (is_write)
			bytes[offset + i] = data[i];
		else
			data[i] = bytes[offset + i];
	}
	if (is_write) {
		memcpy(&v, bytes, sizeof(v));
		/* SLP_EN is write-only: it triggers, it is never stored. */
		pm->cnt = (uint16_t)((v & ~ACPI_PM1_SLP_EN) | ACPI_PM1_SCI_EN);
		if (v & ACPI_PM1_SLP_EN) {
			unsigned typ = (v & ACPI_PM1_SLP_TYP_MASK) >> ACPI_PM1_SLP_TYP_SHIFT;

			if (typ == ACPI_SLP_TYP_S5) {
				pr_info("guest powered off (ACPI S5)");
				pm->stop(pm->stop_opaque, VM_STOP_POWEROFF);
			} else {
				pr_warn("guest asked for sleep type %u; only S5 (SLP_TYP %u) is "
					"supported, ignored",
					typ, ACPI_SLP_TYP_S5);
			}
		}
	}
	pthread_mutex_unlock(&pm->lock);
}
