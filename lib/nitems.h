/* SPDX-License-Identifier: MIT */
/* nitems.h — the number of elements of an array (one definition for the tree). */
#ifndef RKMP_NITEMS_H
#define RKMP_NITEMS_H

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#endif
