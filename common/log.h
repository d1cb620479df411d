/* SPDX-License-Identifier: MIT */
/* Leveled logging to stderr with a per-module prefix. Never used per packet. */
#ifndef NFV_COMMON_LOG_H
#define NFV_COMMON_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above this level are dropped. Default LOG_INFO; NFV_LOG=debug overrides. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Program name printed before every message ("nfvisor-vmm"). */
void log_set_program(const char *name);

void log_msg(enum log_level level, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifndef LOG_PREFIX
#define LOG_PREFIX NULL
#endif
#define pr_err(...)   log_msg(LOG_ERR, LOG_PREFIX, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_WARN, LOG_PREFIX, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, LOG_PREFIX, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, LOG_PREFIX, __VA_ARGS__)

#endif
