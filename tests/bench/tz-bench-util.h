/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the benchmarks share: the median of a few rounds. Header only. */
#pragma once

#include <glib.h>
#include <stdlib.h>

static int
tz_bench_compare_doubles (const void *a,
                          const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The median of @values (sorted in place). */
static inline double
tz_bench_median (double *values,
                 guint   n)
{
  qsort (values, n, sizeof (double), tz_bench_compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}
