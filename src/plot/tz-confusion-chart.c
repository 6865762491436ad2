/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-plot"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tz-confusion-chart.h"
#include "tz-plot-private.h"

struct _TzConfusionChart
{
  gatomicrefcount   ref_count;
  guint             n_rows;
  guint             n_columns;
  char            **row_labels;
  char            **column_labels;
  gint64           *counts;
  gint64           *row_totals;
  gint64            max_count;
  gboolean          normalize;
  char             *title;
  char             *rows_title;
  char             *columns_title;
  char             *empty_text;
};

G_DEFINE_BOXED_TYPE (TzConfusionChart, tz_confusion_chart,
                     tz_confusion_chart_ref, tz_confusion_chart_unref)

static char **
copy_labels (const char *const *labels,
             guint              n)
{
  char **copy = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    copy[i] = tz_plot_sanitize_label (labels[i] != NULL ? labels[i] : "");

  return copy;
}

TzConfusionChart *
tz_confusion_chart_new (guint              n_rows,
                        const char *const *row_labels,
                        guint              n_columns,
                        const char *const *column_labels,
                        const gint64      *counts)
{
  TzConfusionChart *self;
  gsize n_cells;

  g_return_val_if_fail (n_rows == 0 || row_labels != NULL, NULL);
  g_return_val_if_fail (n_columns == 0 || column_labels != NULL, NULL);
  g_return_val_if_fail ((gsize) n_rows * n_columns == 0 || counts != NULL, NULL);
  g_return_val_if_fail (n_rows < G_MAXUINT / MAX (n_columns, 1), NULL);

  n_cells = (gsize) n_rows * n_columns;
  for (gsize i = 0; i < n_cells; i++)
    g_return_val_if_fail (counts[i] >= 0, NULL);

  self = g_new0 (TzConfusionChart, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->n_rows = n_rows;
  self->n_columns = n_columns;
  self->row_labels = copy_labels (row_labels, n_rows);
  self->column_labels = copy_labels (column_labels, n_columns);
  /* An empty chart may come with no counts at all. */
  self->counts = g_new0 (gint64, MAX (n_cells, 1));
  if (n_cells > 0)
    memcpy (self->counts, counts, n_cells * sizeof (gint64));
  self->row_totals = g_new0 (gint64, MAX (n_rows, 1));
  for (guint r = 0; r < n_rows; r++)
    for (guint c = 0; c < n_columns; c++)
      {
        gint64 count = counts[(gsize) r * n_columns + c];

        /* Saturating: the colours only need the order of magnitude. */
        self->row_totals[r] = count > G_MAXINT64 - self->row_totals[r] ? G_MAXINT64
                                                                       : self->row_totals[r] + count;
        self->max_count = MAX (self->max_count, count);
      }

  self->rows_title = g_strdup ("True class");
  self->columns_title = g_strdup ("Predicted class");
  self->empty_text = g_strdup ("No classes learned yet");

  return self;
}

TzConfusionChart *
tz_confusion_chart_ref (TzConfusionChart *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
tz_confusion_chart_unref (TzConfusionChart *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_strfreev (self->row_labels);
  g_strfreev (self->column_labels);
  g_free (self->counts);
  g_free (self->row_totals);
  g_free (self->title);
  g_free (self->rows_title);
  g_free (self->columns_title);
  g_free (self->empty_text);
  g_free (self);
}

void
tz_confusion_chart_set_normalize (TzConfusionChart *self,
                                  gboolean          normalize)
{
  g_return_if_fail (self != NULL);

  self->normalize = !!normalize;
}

gboolean
tz_confusion_chart_get_normalize (const TzConfusionChart *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->normalize;
}

void
tz_confusion_chart_set_title (TzConfusionChart *self,
                              const char       *title)
{
  g_return_if_fail (self != NULL);

  g_free (self->title);
  self->title = tz_plot_sanitize_label (title);
}

const char *
tz_confusion_chart_get_title (const TzConfusionChart *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->title;
}

void
tz_confusion_chart_set_axis_titles (TzConfusionChart *self,
                                    const char       *rows_title,
                                    const char       *columns_title)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (rows_title != NULL);
  g_return_if_fail (columns_title != NULL);

  g_free (self->rows_title);
  g_free (self->columns_title);
  self->rows_title = tz_plot_sanitize_label (rows_title);
  self->columns_title = tz_plot_sanitize_label (columns_title);
}

void
tz_confusion_chart_set_empty_text (TzConfusionChart *self,
                                   const char       *text)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (text != NULL);

  g_free (self->empty_text);
  self->empty_text = tz_plot_sanitize_label (text);
}

guint
tz_confusion_chart_get_n_rows (const TzConfusionChart *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_rows;
}

guint
tz_confusion_chart_get_n_columns (const TzConfusionChart *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_columns;
}

const char *
tz_confusion_chart_get_row_label (const TzConfusionChart *self,
                                  guint                   row)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (row < self->n_rows, NULL);

  return self->row_labels[row];
}

const char *
tz_confusion_chart_get_column_label (const TzConfusionChart *self,
                                     guint                   column)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (column < self->n_columns, NULL);

  return self->column_labels[column];
}

gint64
tz_confusion_chart_get_count (const TzConfusionChart *self,
                              guint                   row,
                              guint                   column)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (row < self->n_rows, 0);
  g_return_val_if_fail (column < self->n_columns, 0);

  return self->counts[(gsize) row * self->n_columns + column];
}

static double
cell_value (const TzConfusionChart *self,
            guint                   row,
            guint                   column)
{
  gint64 count = self->counts[(gsize) row * self->n_columns + column];

  if (self->normalize)
    return self->row_totals[row] > 0 ? (double) count / self->row_totals[row] : NAN;

  return self->max_count > 0 ? (double) count / self->max_count : 0.0;
}

double
tz_confusion_chart_get_value (const TzConfusionChart *self,
                              guint                   row,
                              guint                   column)
{
  g_return_val_if_fail (self != NULL, NAN);
  g_return_val_if_fail (row < self->n_rows, NAN);
  g_return_val_if_fail (column < self->n_columns, NAN);

  return cell_value (self, row, column);
}

/* The text of a cell; NULL for a row without images under normalisation. */
static char *
cell_text (const TzConfusionChart *self,
           guint                   row,
           guint                   column)
{
  double value;

  if (!self->normalize)
    return g_strdup_printf ("%" G_GINT64_FORMAT, self->counts[(gsize) row * self->n_columns + column]);

  value = cell_value (self, row, column);
  if (isnan (value))
    return NULL;
  /* A few images must not read as none. */
  if (value > 0 && value < 0.005)
    return g_strdup ("<1%");
  return g_strdup_printf ("%.0f%%", 100 * value);
}

typedef enum
{
  LABELS_HORIZONTAL,
  LABELS_UPRIGHT,
} LabelMode;

typedef struct
{
  PangoContext *context;
  double        u;
  double        pad;
  PangoLayout  *title;
  double        content_top;
  gboolean      plotted;
  TzPlotRect    matrix;
  double        cell;
  double        axis_title_height;
  double        row_label_width;
  guint         row_every;
  LabelMode     column_mode;
  double        column_label_width;
  double        column_label_height;
  guint         column_every;
  double        label_size;
  double        value_size;   /* 0: no numbers in the cells */
  double        bar_x;
  double        bar_width;
  double        scale_max;    /* the value at the top of the colour bar */
  double        scale_tick;
} Layout;

static void
layout_clear (Layout *layout)
{
  g_clear_object (&layout->title);
  g_clear_object (&layout->context);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Layout, layout_clear)

/* A step of 1, 2 or 5 times a power of ten giving at most about 5
 * ticks up to @max. */
static double
nice_tick (double max)
{
  double raw = max / 4;
  double power = pow (10, floor (log10 (raw)));

  if (raw <= power)
    return power;
  if (raw <= 2 * power)
    return 2 * power;
  if (raw <= 5 * power)
    return 5 * power;
  return 10 * power;
}

static char *
scale_tick_text (const TzConfusionChart *self,
                 double                  value)
{
  if (self->normalize)
    return g_strdup_printf ("%.0f%%", 100 * value);
  return g_strdup_printf ("%.0f", value);
}

static double
text_width (Layout            *layout,
            const TzPlotStyle *style,
            const char        *text,
            double             size,
            double            *height)
{
  g_autoptr(PangoLayout) probe = tz_plot_text_new (layout->context, style, text, size, FALSE, -1);
  double w;

  tz_plot_text_get_size (probe, &w, height);
  return w;
}

static double
widest_label (Layout            *layout,
              const TzPlotStyle *style,
              char *const       *labels,
              guint              n,
              double             size,
              double            *height)
{
  double widest = 0;

  *height = 0;
  for (guint i = 0; i < n; i++)
    {
      double h;

      widest = MAX (widest, text_width (layout, style, labels[i], size, &h));
      *height = MAX (*height, h);
    }

  if (n == 0)
    text_width (layout, style, "Xg", size, height);
  return widest;
}

static void
layout_compute (Layout                 *layout,
                const TzConfusionChart *self,
                double                  width,
                double                  height,
                const TzPlotStyle      *style)
{
  double u, pad, y;
  double row_label_height, column_label_height, column_width, row_width;
  double bar_label_width, bar_extra, left, right, below, avail_w, avail_h, cell;
  double shift_x, shift_y;
  g_autofree char *top_label = NULL;

  memset (layout, 0, sizeof *layout);
  layout->context = tz_plot_pango_context_new ();
  layout->u = u = tz_plot_style_font_px (style);
  layout->pad = pad = 0.9 * u;
  y = pad;

  if (self->title != NULL && self->title[0] != '\0')
    {
      double th;

      layout->title = tz_plot_text_new (layout->context, style, self->title, 1.15, TRUE,
                                        MAX (width - 2 * pad, 1));
      tz_plot_text_get_size (layout->title, NULL, &th);
      y += th + 0.6 * u;
    }
  layout->content_top = y;

  if (self->n_rows == 0 || self->n_columns == 0)
    return;

  layout->label_size = 0.85;
  text_width (layout, style, self->rows_title, 0.92, &layout->axis_title_height);
  row_width = widest_label (layout, style, self->row_labels, self->n_rows,
                            layout->label_size, &row_label_height);
  column_width = widest_label (layout, style, self->column_labels, self->n_columns,
                               layout->label_size, &column_label_height);
  layout->column_label_height = column_label_height;
  layout->row_label_width = MIN (row_width, MIN (10 * u, 0.28 * width));

  if (self->normalize)
    {
      layout->scale_max = 1.0;
      layout->scale_tick = 0.25;
    }
  else
    {
      layout->scale_max = MAX (self->max_count, 1);
      layout->scale_tick = nice_tick (layout->scale_max);
    }
  top_label = scale_tick_text (self, layout->scale_max);
  bar_label_width = text_width (layout, style, top_label, layout->label_size, NULL);
  layout->bar_width = 0.8 * u;
  bar_extra = 0.9 * u + layout->bar_width + 0.35 * u + 0.3 * u + bar_label_width;

  left = pad + layout->axis_title_height + 0.4 * u + layout->row_label_width + 0.4 * u;
  right = width - pad - bar_extra;
  avail_w = right - left;

  layout->column_mode = LABELS_HORIZONTAL;
  layout->column_label_width = column_width;
  below = 0.3 * u + column_label_height + 0.5 * u + layout->axis_title_height;
  avail_h = height - pad - below - y;
  cell = MIN (avail_w / self->n_columns, avail_h / self->n_rows);

  if (column_width > cell - 0.3 * u)
    {
      layout->column_mode = LABELS_UPRIGHT;
      layout->column_label_width = MIN (column_width, MIN (10 * u, 0.28 * height));
      below = 0.3 * u + layout->column_label_width + 0.5 * u + layout->axis_title_height;
      avail_h = height - pad - below - y;
      cell = MIN (avail_w / self->n_columns, avail_h / self->n_rows);
    }

  if (avail_w < u || avail_h < u || !(cell > 0.5))
    return;

  layout->plotted = TRUE;
  layout->cell = cell;
  layout->row_every = (guint) MAX (1.0, ceil (1.1 * row_label_height / cell));
  layout->column_every = layout->column_mode == LABELS_UPRIGHT
                         ? (guint) MAX (1.0, ceil (1.1 * column_label_height / cell)) : 1;

  /* The whole picture is centred in the room left over. */
  shift_x = (avail_w - cell * self->n_columns) / 2;
  shift_y = (avail_h - cell * self->n_rows) / 2;
  layout->matrix.x = left + shift_x;
  layout->matrix.y = y + shift_y;
  layout->matrix.width = cell * self->n_columns;
  layout->matrix.height = cell * self->n_rows;
  layout->bar_x = layout->matrix.x + layout->matrix.width + 0.9 * u;

  /* One size for every number, the largest that fits the widest: that of
   * the largest count, or "100%". */
  {
    g_autofree char *widest_text = NULL;
    double size = 0.85, widest, value_height;

    if (self->normalize)
      widest_text = g_strdup ("100%");
    else
      widest_text = g_strdup_printf ("%" G_GINT64_FORMAT, self->max_count);
    widest = text_width (layout, style, widest_text, size, &value_height);
    size *= MIN (1.0, MIN ((cell - 0.3 * u) / MAX (widest, 1e-6),
                           0.75 * cell / MAX (value_height, 1e-6)));
    /* Below about 6 pixels numbers are noise. */
    layout->value_size = size * u >= 6.0 ? size : 0;
  }
}

static void
cell_rect (const Layout *layout,
           guint         row,
           guint         column,
           TzPlotRect   *rect)
{
  rect->x = layout->matrix.x + column * layout->cell;
  rect->y = layout->matrix.y + row * layout->cell;
  rect->width = layout->cell;
  rect->height = layout->cell;
}

static const TzPlotColor *
contrasting_text (const TzPlotColor *cell)
{
  static const TzPlotColor dark = { 0.0, 0.0, 0.0, 0.85 };
  static const TzPlotColor light = { 1.0, 1.0, 1.0, 1.0 };
  double l = tz_plot_color_luminance (cell);

  /* WCAG contrast ratios against white and (near) black. */
  return (1.05 / (l + 0.05)) > ((l + 0.05) / 0.05) ? &light : &dark;
}

static void
draw_cells (cairo_t                *cr,
            Layout                 *layout,
            const TzConfusionChart *self,
            const TzPlotStyle      *style)
{
  /* Gaps in the background colour separate cells that are big enough. */
  double gap = layout->cell >= 10 && style->background.alpha > 0 ? 1.0 : 0.0;

  if (gap > 0)
    {
      tz_plot_set_color (cr, &style->background, 1.0);
      cairo_rectangle (cr, layout->matrix.x, layout->matrix.y,
                       layout->matrix.width, layout->matrix.height);
      cairo_fill (cr);
    }

  for (guint r = 0; r < self->n_rows; r++)
    for (guint c = 0; c < self->n_columns; c++)
      {
        TzPlotRect rect;
        TzPlotColor color;
        g_autofree char *text = NULL;

        cell_rect (layout, r, c, &rect);
        tz_plot_style_get_scale_color (style, cell_value (self, r, c), &color);
        tz_plot_set_color (cr, &color, 1.0);
        cairo_rectangle (cr, rect.x + gap / 2, rect.y + gap / 2,
                         rect.width - gap, rect.height - gap);
        cairo_fill (cr);

        if (layout->value_size <= 0)
          continue;

        text = cell_text (self, r, c);
        if (text != NULL)
          {
            g_autoptr(PangoLayout) label = tz_plot_text_new (layout->context, style, text,
                                                             layout->value_size, FALSE, -1);

            tz_plot_text_draw (cr, label, rect.x + rect.width / 2, rect.y + rect.height / 2,
                               0.5, 0.5, 0, contrasting_text (&color));
          }
      }
}

static void
draw_labels (cairo_t                *cr,
             Layout                 *layout,
             const TzConfusionChart *self,
             const TzPlotStyle      *style)
{
  const TzPlotRect *m = &layout->matrix;
  double u = layout->u;
  TzPlotColor dim = style->foreground;
  g_autoptr(PangoLayout) rows_title = NULL;
  g_autoptr(PangoLayout) columns_title = NULL;
  double columns_bottom;

  dim.alpha *= 0.8;
  for (guint r = 0; r < self->n_rows; r += layout->row_every)
    {
      g_autoptr(PangoLayout) label = tz_plot_text_new (layout->context, style, self->row_labels[r],
                                                       layout->label_size, FALSE,
                                                       layout->row_label_width);

      tz_plot_text_draw (cr, label, m->x - 0.4 * u, m->y + (r + 0.5) * layout->cell,
                         1.0, 0.5, 0, &dim);
    }

  for (guint c = 0; c < self->n_columns; c += layout->column_every)
    {
      double x = m->x + (c + 0.5) * layout->cell;
      double y = m->y + m->height + 0.3 * u;
      g_autoptr(PangoLayout) label = NULL;

      label = tz_plot_text_new (layout->context, style, self->column_labels[c],
                                layout->label_size, FALSE,
                                layout->column_mode == LABELS_UPRIGHT ? layout->column_label_width
                                                                      : layout->cell);
      if (layout->column_mode == LABELS_HORIZONTAL)
        tz_plot_text_draw (cr, label, x, y, 0.5, 0.0, 0, &dim);
      else
        tz_plot_text_draw (cr, label, x, y, 1.0, 0.5, -G_PI / 2, &dim);
    }

  columns_bottom = m->y + m->height + 0.3 * u +
                   (layout->column_mode == LABELS_UPRIGHT ? layout->column_label_width
                                                          : layout->column_label_height) + 0.5 * u;
  columns_title = tz_plot_text_new (layout->context, style, self->columns_title, 0.92, TRUE,
                                    MAX (m->width + 4 * u, 1));
  tz_plot_text_draw (cr, columns_title, m->x + m->width / 2, columns_bottom, 0.5, 0.0, 0,
                     &style->foreground);

  rows_title = tz_plot_text_new (layout->context, style, self->rows_title, 0.92, TRUE,
                                 MAX (m->height + 4 * u, 1));
  tz_plot_text_draw (cr, rows_title,
                     m->x - 0.4 * u - layout->row_label_width - 0.4 * u - layout->axis_title_height / 2,
                     m->y + m->height / 2, 0.5, 0.5, -G_PI / 2, &style->foreground);
}

static void
draw_scale_tick (cairo_t           *cr,
                 Layout            *layout,
                 PangoLayout       *label,
                 double             x,
                 double             y,
                 const TzPlotColor *color,
                 const TzPlotStyle *style)
{
  tz_plot_set_color (cr, &style->foreground, 0.45);
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x + 0.35 * layout->u, y);
  cairo_stroke (cr);
  tz_plot_text_draw (cr, label, x + 0.65 * layout->u, y, 0, 0.5, 0, color);
}

static void
draw_scale_bar (cairo_t                *cr,
                Layout                 *layout,
                const TzConfusionChart *self,
                const TzPlotStyle      *style)
{
  const TzPlotRect *m = &layout->matrix;
  double x = layout->bar_x;
  double w = layout->bar_width;
  double top = m->y;
  double h = m->height;
  cairo_pattern_t *ramp;
  TzPlotColor dim = style->foreground;
  guint n_ticks;

  ramp = cairo_pattern_create_linear (0, top + h, 0, top);
  for (guint i = 0; i <= 16; i++)
    {
      TzPlotColor color;

      tz_plot_style_get_scale_color (style, i / 16.0, &color);
      cairo_pattern_add_color_stop_rgb (ramp, i / 16.0, color.red, color.green, color.blue);
    }
  cairo_set_source (cr, ramp);
  cairo_rectangle (cr, x, top, w, h);
  cairo_fill (cr);
  cairo_pattern_destroy (ramp);

  cairo_set_line_width (cr, 1.0);
  tz_plot_set_color (cr, &style->foreground, 0.25);
  cairo_rectangle (cr, x + 0.5, top + 0.5, w - 1, h - 1);
  cairo_stroke (cr);

  dim.alpha *= 0.7;
  n_ticks = (guint) floor (layout->scale_max / layout->scale_tick + 1e-9);
  for (guint i = 0; i <= n_ticks; i++)
    {
      double value = i * layout->scale_tick;
      double y = top + h * (1 - value / layout->scale_max);
      g_autofree char *text = scale_tick_text (self, value);
      g_autoptr(PangoLayout) label = tz_plot_text_new (layout->context, style, text,
                                                       layout->label_size, FALSE, -1);

      /* Inner ticks closer than a line apart would overlap; the ends
       * are always labelled. */
      if (n_ticks > 0 && i > 0 && i < n_ticks && h * layout->scale_tick / layout->scale_max < 1.2 * layout->u)
        continue;

      draw_scale_tick (cr, layout, label, x + w, y, &dim, style);
    }

  /* The top end is the largest count: label it when no tick is there and
   * the last one leaves room. */
  if (!self->normalize &&
      h * (1 - n_ticks * layout->scale_tick / layout->scale_max) >= 1.2 * layout->u)
    {
      g_autofree char *text = scale_tick_text (self, layout->scale_max);
      g_autoptr(PangoLayout) label = tz_plot_text_new (layout->context, style, text,
                                                       layout->label_size, FALSE, -1);

      draw_scale_tick (cr, layout, label, x + w, top, &dim, style);
    }
}

static void
draw_chart (gconstpointer      chart,
            cairo_t           *cr,
            double             width,
            double             height,
            const TzPlotStyle *style)
{
  const TzConfusionChart *self = chart;
  g_auto(Layout) layout = { 0 };
  TzPlotStyle default_style;

  if (!tz_plot_begin (cr, width, height, &style, &default_style))
    return;

  layout_compute (&layout, self, width, height, style);

  if (layout.title != NULL)
    tz_plot_text_draw (cr, layout.title, layout.pad, layout.pad, 0, 0, 0, &style->foreground);

  if (self->n_rows == 0 || self->n_columns == 0)
    {
      tz_plot_draw_empty_text (cr, layout.context, style, self->empty_text, width, height,
                               layout.content_top, layout.pad);
    }
  else if (layout.plotted)
    {
      draw_cells (cr, &layout, self, style);
      draw_labels (cr, &layout, self, style);
      draw_scale_bar (cr, &layout, self, style);
    }

  cairo_restore (cr);
}

void
tz_confusion_chart_draw (const TzConfusionChart *self,
                         cairo_t                *cr,
                         double                  width,
                         double                  height,
                         const TzPlotStyle      *style)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (cr != NULL);

  draw_chart (self, cr, width, height, style);
}

static gboolean
compute_plotted (Layout                 *layout,
                 const TzConfusionChart *self,
                 double                  width,
                 double                  height,
                 const TzPlotStyle      *style)
{
  TzPlotStyle storage;

  if (!(width > 0 && height > 0 && isfinite (width) && isfinite (height)))
    return FALSE;

  if (style == NULL)
    {
      tz_plot_style_init (&storage, FALSE);
      style = &storage;
    }

  layout_compute (layout, self, width, height, style);
  return layout->plotted;
}

gboolean
tz_confusion_chart_get_matrix_area (const TzConfusionChart *self,
                                    double                  width,
                                    double                  height,
                                    const TzPlotStyle      *style,
                                    TzPlotRect             *area)
{
  g_auto(Layout) layout = { 0 };

  g_return_val_if_fail (self != NULL, FALSE);

  if (!compute_plotted (&layout, self, width, height, style))
    return FALSE;

  if (area != NULL)
    *area = layout.matrix;
  return TRUE;
}

gboolean
tz_confusion_chart_get_cell (const TzConfusionChart *self,
                             double                  width,
                             double                  height,
                             const TzPlotStyle      *style,
                             guint                   row,
                             guint                   column,
                             TzPlotRect             *cell)
{
  g_auto(Layout) layout = { 0 };

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (row < self->n_rows, FALSE);
  g_return_val_if_fail (column < self->n_columns, FALSE);

  if (!compute_plotted (&layout, self, width, height, style))
    return FALSE;

  if (cell != NULL)
    cell_rect (&layout, row, column, cell);
  return TRUE;
}

gboolean
tz_confusion_chart_hit_test (const TzConfusionChart *self,
                             double                  width,
                             double                  height,
                             const TzPlotStyle      *style,
                             double                  x,
                             double                  y,
                             guint                  *row,
                             guint                  *column)
{
  g_auto(Layout) layout = { 0 };
  const TzPlotRect *m;
  guint r, c;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!compute_plotted (&layout, self, width, height, style))
    return FALSE;

  m = &layout.matrix;
  if (!(x >= m->x && x < m->x + m->width && y >= m->y && y < m->y + m->height))
    return FALSE;

  /* Rounding can put a point on the far edge into one cell too many. */
  r = MIN ((guint) ((y - m->y) / layout.cell), self->n_rows - 1);
  c = MIN ((guint) ((x - m->x) / layout.cell), self->n_columns - 1);
  if (row != NULL)
    *row = r;
  if (column != NULL)
    *column = c;
  return TRUE;
}

static char *
describe (const TzConfusionChart *self)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "Confusion matrix (rows: %s; columns: %s; cells: %s).",
                          self->rows_title, self->columns_title,
                          self->normalize ? "share of the row" : "image counts");
  g_string_append (text, "\nColumns:");
  for (guint c = 0; c < self->n_columns; c++)
    g_string_append_printf (text, "%s %s", c > 0 ? "," : "", self->column_labels[c]);

  for (guint r = 0; r < self->n_rows; r++)
    {
      g_string_append_printf (text, "\n%s:", self->row_labels[r]);
      for (guint c = 0; c < self->n_columns; c++)
        {
          g_autofree char *value = cell_text (self, r, c);

          g_string_append_printf (text, "%s %s", c > 0 ? "," : "", value != NULL ? value : "-");
        }
    }

  return g_string_free (text, FALSE);
}

gboolean
tz_confusion_chart_save (const TzConfusionChart *self,
                         const char             *path,
                         double                  width,
                         double                  height,
                         double                  scale,
                         const TzPlotStyle      *style,
                         GError                **error)
{
  g_autofree char *description = NULL;
  TzPlotStyle storage;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (style == NULL)
    {
      tz_plot_style_init (&storage, FALSE);
      style = &storage;
    }

  description = describe (self);
  return tz_plot_save_drawing (path, width, height, scale, draw_chart, self, style,
                               self->title, description, error);
}
