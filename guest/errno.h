/* SPDX-License-Identifier: MIT */
/* The few errno values nfguest functions return (negated), Linux numbering. */
#ifndef NFGUEST_ERRNO_H
#define NFGUEST_ERRNO_H

#define ENOENT	  2
#define EIO	  5
#define E2BIG	  7
#define ENOMEM	  12
#define EBUSY	  16
#define ENODEV	  19
#define ENOSPC	  28
#define EINVAL	  22
#define ERANGE	  34
#define ETIMEDOUT 110

#endif
