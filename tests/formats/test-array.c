/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tz-array.h"
#include "tz-error.h"

static void
test_dtype_names (void)
{
  static const char *names[] = {
    "BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64",
    "F16", "BF16", "F32", "F64", "UNICODE",
  };
  static const gsize sizes[] = { 1, 1, 1, 2, 2, 4, 4, 8, 8, 2, 2, 4, 8, 4 };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      TzDType dtype;

      g_assert_cmpstr (tz_dtype_to_string ((TzDType) i), ==, names[i]);
      g_assert_true (tz_dtype_from_string (names[i], &dtype));
      g_assert_cmpint (dtype, ==, i);
      g_assert_cmpuint (tz_dtype_get_size ((TzDType) i), ==, sizes[i]);
    }

  g_assert_false (tz_dtype_from_string ("F8_E4M3", NULL));
  g_assert_false (tz_dtype_from_string ("f32", NULL));
}

static void
test_new_checks (void)
{
  guint8 buffer[24] = { 0 };
  g_autoptr(GBytes) bytes = g_bytes_new (buffer, sizeof buffer);
  gint64 shape[TZ_ARRAY_MAX_DIMS + 1];
  g_autoptr(GError) error = NULL;
  g_autoptr(TzArray) array = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (shape); i++)
    shape[i] = 1;

  /* 24 bytes are 2 x 3 float32 but not 2 x 4. */
  shape[0] = 2;
  shape[1] = 3;
  array = tz_array_new (TZ_DTYPE_F32, 0, 2, shape, bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tz_array_get_n_elements (array), ==, 6);
  g_assert_true (tz_array_get_bytes (array) == bytes);

  shape[1] = 4;
  g_assert_null (tz_array_new (TZ_DTYPE_F32, 0, 2, shape, bytes, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_CORRUPT);
  g_clear_error (&error);

  shape[0] = G_MAXINT64;
  shape[1] = 3;
  g_assert_null (tz_array_new (TZ_DTYPE_F32, 0, 2, shape, bytes, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE);
  g_clear_error (&error);

  shape[0] = -2;
  g_assert_null (tz_array_new (TZ_DTYPE_F32, 0, 2, shape, bytes, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  for (guint i = 0; i < G_N_ELEMENTS (shape); i++)
    shape[i] = 1;
  shape[0] = 24;
  g_assert_null (tz_array_new (TZ_DTYPE_U8, 0, TZ_ARRAY_MAX_DIMS + 1, shape, bytes, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A huge dimension times a zero one is an empty array, not an overflow. */
  shape[0] = G_MAXINT64;
  shape[1] = 0;
  {
    g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
    g_autoptr(TzArray) none = tz_array_new (TZ_DTYPE_F64, 0, 2, shape, empty, &error);

    g_assert_no_error (error);
    g_assert_cmpint (tz_array_get_n_elements (none), ==, 0);
  }

  /* Unicode item sizes are whole code points. */
  shape[0] = 2;
  g_assert_null (tz_array_new (TZ_DTYPE_UNICODE, 6, 1, shape, bytes, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

static void
test_zero_dimensional (void)
{
  double value = -0.5;
  g_autoptr(GBytes) bytes = g_bytes_new (&value, sizeof value);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzArray) array = tz_array_new (TZ_DTYPE_F64, 0, 0, NULL, bytes, &error);
  g_autofree float *f = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (tz_array_get_ndim (array), ==, 0);
  g_assert_cmpint (tz_array_get_n_elements (array), ==, 1);
  f = tz_array_to_float32 (array, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (f[0], ==, -0.5f);
}

static void
test_alignment (void)
{
  /* A float32 view at an odd offset, as a safetensors tensor after a
   * 5-byte one: the array must copy it into aligned memory. */
  guint8 *buffer = g_malloc0 (1 + 3 * sizeof (float));
  float values[3] = { 1.0f, -2.0f, 0.25f };
  g_autoptr(GBytes) whole = NULL;
  g_autoptr(GBytes) view = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TzArray) array = NULL;
  gint64 shape[1] = { 3 };
  const float *data;

  memcpy (buffer + 1, values, sizeof values);
  whole = g_bytes_new_take (buffer, 1 + sizeof values);
  view = g_bytes_new_from_bytes (whole, 1, sizeof values);

  array = tz_array_new (TZ_DTYPE_F32, 0, 1, shape, view, &error);
  g_assert_no_error (error);
  data = tz_array_get_data (array, NULL);
  g_assert_cmpuint ((guintptr) data % sizeof (float), ==, 0);
  g_assert_cmpmem (data, sizeof values, values, sizeof values);
}

static void
test_half_and_bfloat16 (void)
{
  /* IEEE 754 binary16 patterns and their values, derived by hand:
   * sign | 5-bit exponent (bias 15) | 10-bit mantissa. */
  static const struct
  {
    guint16 bits;
    float value;
  } halves[] = {
    { 0x3c00, 1.0f },
    { 0xc000, -2.0f },
    { 0x3555, 0.333251953125f },
    { 0x7bff, 65504.0f },
    { 0x0400, 6.103515625e-05f },     /* smallest normal, 2^-14 */
    { 0x0001, 5.9604644775390625e-08f }, /* smallest subnormal, 2^-24 */
    { 0x03ff, 6.097555160522461e-05f },  /* largest subnormal */
    { 0x0000, 0.0f },
  };
  /* bfloat16 is the top half of a float32. */
  static const struct
  {
    guint16 bits;
    float value;
  } brains[] = {
    { 0x3f80, 1.0f },
    { 0xc060, -3.5f },
    { 0x3e20, 0.15625f },
    { 0x7f7f, 3.3895313892515355e+38f },
  };
  guint16 special[4] = { 0x7c00, 0xfc00, 0x7e00, 0x8000 };
  gint64 shape[1];
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (halves); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (&halves[i].bits, 2);
      g_autoptr(TzArray) array = NULL;
      g_autofree float *f = NULL;

      shape[0] = 1;
      array = tz_array_new (TZ_DTYPE_F16, 0, 1, shape, bytes, &error);
      g_assert_no_error (error);
      f = tz_array_to_float32 (array, &error);
      g_assert_no_error (error);
      g_assert_cmpfloat (f[0], ==, halves[i].value);
    }

  for (guint i = 0; i < G_N_ELEMENTS (brains); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (&brains[i].bits, 2);
      g_autoptr(TzArray) array = NULL;
      g_autofree float *f = NULL;

      shape[0] = 1;
      array = tz_array_new (TZ_DTYPE_BF16, 0, 1, shape, bytes, &error);
      g_assert_no_error (error);
      f = tz_array_to_float32 (array, &error);
      g_assert_no_error (error);
      g_assert_cmpfloat (f[0], ==, brains[i].value);
    }

  {
    g_autoptr(GBytes) bytes = g_bytes_new (special, sizeof special);
    g_autoptr(TzArray) array = NULL;
    g_autofree float *f = NULL;

    shape[0] = 4;
    array = tz_array_new (TZ_DTYPE_F16, 0, 1, shape, bytes, &error);
    g_assert_no_error (error);
    f = tz_array_to_float32 (array, &error);
    g_assert_no_error (error);
    g_assert_true (isinf (f[0]) && f[0] > 0);
    g_assert_true (isinf (f[1]) && f[1] < 0);
    g_assert_true (isnan (f[2]));
    g_assert_true (f[3] == 0.0f && signbit (f[3]));
  }
}

static void
test_conversions (void)
{
  gint64 shape[2] = { 2, 2 };
  const float floats[4] = { 1.5f, -2.0f, 0.0f, 7.0f };
  const gint64 ints[4] = { -3, 0, G_MAXINT64, G_MININT64 };
  g_autoptr(TzArray) f = tz_array_new_float32 (2, shape, floats);
  g_autoptr(TzArray) i = tz_array_new_int64 (2, shape, ints);
  g_autoptr(GError) error = NULL;
  g_autofree gint64 *as_int = NULL;
  g_autofree float *as_float = NULL;
  g_auto(GStrv) strv = NULL;

  g_assert_cmpint (tz_array_get_dtype (f), ==, TZ_DTYPE_F32);
  g_assert_cmpmem (tz_array_get_data (f, NULL), sizeof floats, floats, sizeof floats);
  g_assert_cmpmem (tz_array_get_data (i, NULL), sizeof ints, ints, sizeof ints);

  /* Floats never silently become integers. */
  g_assert_null (tz_array_to_int64 (f, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED);
  g_clear_error (&error);

  as_int = tz_array_to_int64 (i, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (as_int, sizeof ints, ints, sizeof ints);

  as_float = tz_array_to_float32 (i, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (as_float[0], ==, -3.0f);
  g_assert_cmpfloat (as_float[2], ==, 9223372036854775808.0f);

  g_assert_null (tz_array_to_strv (i, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED);
  g_clear_error (&error);

  /* A reference outlives the first owner. */
  {
    TzArray *extra = tz_array_ref (f);

    g_clear_pointer (&f, tz_array_unref);
    g_assert_cmpfloat (((const float *) tz_array_get_data (extra, NULL))[3], ==, 7.0f);
    tz_array_unref (extra);
  }
}

static void
test_strv (void)
{
  const char *names[] = { "T-shirt/top", "", "Ankle boot", "日本語", "\xf0\x9d\x94\x98", NULL };
  g_autoptr(TzArray) array = tz_array_new_strv (names);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) back = NULL;
  const guint32 *codes;

  g_assert_cmpint (tz_array_get_dtype (array), ==, TZ_DTYPE_UNICODE);
  g_assert_cmpuint (tz_array_get_ndim (array), ==, 1);
  g_assert_cmpint (tz_array_get_shape (array)[0], ==, 5);
  /* The width is the longest string in code points, as numpy's '<U11'. */
  g_assert_cmpuint (tz_array_get_item_size (array), ==, 4 * 11);

  codes = tz_array_get_data (array, NULL);
  g_assert_cmpuint (codes[0], ==, 'T');
  g_assert_cmpuint (codes[11], ==, 0);
  g_assert_cmpuint (codes[33], ==, 0x65e5);
  g_assert_cmpuint (codes[44], ==, 0x1d518);

  back = tz_array_to_strv (array, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (back, names);

  {
    const char *none[] = { NULL };
    g_autoptr(TzArray) empty = tz_array_new_strv (none);
    g_auto(GStrv) empty_back = tz_array_to_strv (empty, &error);

    g_assert_no_error (error);
    g_assert_cmpint (tz_array_get_shape (empty)[0], ==, 0);
    g_assert_cmpuint (g_strv_length (empty_back), ==, 0);
  }
}

static void
test_strv_invalid (void)
{
  static const guint32 surrogate[2] = { 'a', 0xd800 };
  static const guint32 beyond[2] = { 0x110000, 0 };
  static const guint32 inner_nul[3] = { 'a', 0, 'b' };
  static const struct
  {
    const guint32 *codes;
    gsize n;
  } cases[] = {
    { surrogate, 2 },
    { beyond, 2 },
    { inner_nul, 3 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (cases[i].codes, cases[i].n * 4);
      g_autoptr(GError) error = NULL;
      g_autoptr(TzArray) array = NULL;
      gint64 shape[1] = { 1 };

      array = tz_array_new (TZ_DTYPE_UNICODE, cases[i].n * 4, 1, shape, bytes, &error);
      g_assert_no_error (error);
      g_assert_null (tz_array_to_strv (array, &error));
      g_assert_error (error, TZ_ERROR, TZ_ERROR_CORRUPT);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/formats/array/dtype-names", test_dtype_names);
  g_test_add_func ("/formats/array/new-checks", test_new_checks);
  g_test_add_func ("/formats/array/zero-dimensional", test_zero_dimensional);
  g_test_add_func ("/formats/array/alignment", test_alignment);
  g_test_add_func ("/formats/array/half-and-bfloat16", test_half_and_bfloat16);
  g_test_add_func ("/formats/array/conversions", test_conversions);
  g_test_add_func ("/formats/array/strv", test_strv);
  g_test_add_func ("/formats/array/strv-invalid", test_strv_invalid);

  return g_test_run ();
}
