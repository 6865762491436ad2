/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tz-array.h"

G_BEGIN_DECLS

/* Shared by the tests of src/core/formats: fixture paths, the values that
 * make-fixtures.py recorded with numpy, and the Python cross-checks. */

/* tests/fixtures/formats/@name (G_TEST_SRCDIR points at tests/). */
char       *tz_test_fixture              (const char   *name);
/* expected.json, parsed once. */
JsonObject *tz_test_expected             (void);
JsonObject *tz_test_expected_section     (const char   *section);
/* A number from expected.json written as float.hex(), "inf" or "nan". */
double      tz_test_parse_float          (const char   *text);

/* Asserts that @array has the dtype, shape and every value of @expected
 * (an object with "dtype", "shape", "values" and "item_size"). */
void        tz_test_assert_array_matches (TzArray      *array,
                                          JsonObject   *expected,
                                          const char   *what);
/* The same for a float32 vector against a list of float.hex() strings. */
void        tz_test_assert_floats_match  (const float  *values,
                                          gsize         n_values,
                                          JsonArray    *expected,
                                          const char   *what);

/* A fresh temporary folder, and its recursive removal. */
char       *tz_test_make_tmpdir          (void);
void        tz_test_remove_tree          (const char   *path);

/* Runs check-written.py with @args through $TZ_PYTHON3 and asserts that it
 * exits 0. Returns FALSE after g_test_skip() when TZ_PYTHON3 is unset. */
gboolean    tz_test_check_written        (const char *const *args);

/* Asserts @error is @domain/@code and that its message holds @needle. */
void        tz_test_assert_error_mentions (const GError *error,
                                           GQuark        domain,
                                           int           code,
                                           const char   *needle);

G_END_DECLS
