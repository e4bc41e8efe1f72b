/* SPDX-License-Identifier: MIT */
/* clock.h — seconds on the monotonic clock, for timeouts and deadlines. */
#ifndef RKMP_CLOCK_H
#define RKMP_CLOCK_H

#include <time.h>

static inline double
rkmp_clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
