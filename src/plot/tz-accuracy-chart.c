/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-plot"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tz-accuracy-chart.h"
#include "tz-plot-private.h"

/* sin 45°: step labels that do not fit are drawn at 45 degrees. */
#define DIAGONAL 0.70710678118654752

typedef struct
{
  char   *label;
  double  values[TZ_ACCURACY_N_SERIES];
} Step;

struct _TzAccuracyChart
{
  gatomicrefcount  ref_count;
  char            *title;
  char            *series_labels[TZ_ACCURACY_N_SERIES];
  char            *empty_text;
  GArray          *steps;  /* Step */
};

G_DEFINE_BOXED_TYPE (TzAccuracyChart, tz_accuracy_chart,
                     tz_accuracy_chart_ref, tz_accuracy_chart_unref)

static void
step_clear (gpointer data)
{
  Step *step = data;

  g_free (step->label);
}

TzAccuracyChart *
tz_accuracy_chart_new (void)
{
  TzAccuracyChart *self = g_new0 (TzAccuracyChart, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->series_labels[TZ_ACCURACY_SERIES_ALL] = g_strdup ("All images");
  self->series_labels[TZ_ACCURACY_SERIES_LEARNED] = g_strdup ("Learned classes");
  self->empty_text = g_strdup ("No learning steps yet");
  self->steps = g_array_new (FALSE, TRUE, sizeof (Step));
  g_array_set_clear_func (self->steps, step_clear);

  return self;
}

TzAccuracyChart *
tz_accuracy_chart_ref (TzAccuracyChart *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
tz_accuracy_chart_unref (TzAccuracyChart *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_free (self->title);
  for (guint i = 0; i < TZ_ACCURACY_N_SERIES; i++)
    g_free (self->series_labels[i]);
  g_free (self->empty_text);
  g_array_unref (self->steps);
  g_free (self);
}

void
tz_accuracy_chart_set_title (TzAccuracyChart *self,
                             const char      *title)
{
  g_return_if_fail (self != NULL);

  g_free (self->title);
  self->title = tz_plot_sanitize_label (title);
}

const char *
tz_accuracy_chart_get_title (const TzAccuracyChart *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->title;
}

void
tz_accuracy_chart_set_series_label (TzAccuracyChart  *self,
                                    TzAccuracySeries  series,
                                    const char       *label)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (series < TZ_ACCURACY_N_SERIES);
  g_return_if_fail (label != NULL);

  g_free (self->series_labels[series]);
  self->series_labels[series] = tz_plot_sanitize_label (label);
}

const char *
tz_accuracy_chart_get_series_label (const TzAccuracyChart *self,
                                    TzAccuracySeries       series)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (series < TZ_ACCURACY_N_SERIES, NULL);

  return self->series_labels[series];
}

void
tz_accuracy_chart_set_empty_text (TzAccuracyChart *self,
                                  const char      *text)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (text != NULL);

  g_free (self->empty_text);
  self->empty_text = tz_plot_sanitize_label (text);
}

guint
tz_accuracy_chart_add_step (TzAccuracyChart *self,
                            const char      *label,
                            double           accuracy_all,
                            double           accuracy_learned)
{
  Step step;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (label != NULL, 0);

  step.label = tz_plot_sanitize_label (label);
  step.values[TZ_ACCURACY_SERIES_ALL] = accuracy_all;
  step.values[TZ_ACCURACY_SERIES_LEARNED] = accuracy_learned;
  g_array_append_val (self->steps, step);

  return self->steps->len - 1;
}

guint
tz_accuracy_chart_get_n_steps (const TzAccuracyChart *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->steps->len;
}

const char *
tz_accuracy_chart_get_step_label (const TzAccuracyChart *self,
                                  guint                  step)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (step < self->steps->len, NULL);

  return g_array_index (self->steps, Step, step).label;
}

double
tz_accuracy_chart_get_value (const TzAccuracyChart *self,
                             guint                  step,
                             TzAccuracySeries       series)
{
  g_return_val_if_fail (self != NULL, NAN);
  g_return_val_if_fail (step < self->steps->len, NAN);
  g_return_val_if_fail (series < TZ_ACCURACY_N_SERIES, NAN);

  return g_array_index (self->steps, Step, step).values[series];
}

typedef enum
{
  LABELS_HORIZONTAL,
  LABELS_DIAGONAL,
} LabelMode;

/* Where everything goes, for one size and style. */
typedef struct
{
  PangoContext *context;
  double        u;            /* the font size in user units */
  double        pad;
  /* The title and legend (a layout per series) are kept to be drawn. */
  PangoLayout  *title;
  double        title_x, title_y;
  PangoLayout  *legend[TZ_ACCURACY_N_SERIES];
  double        legend_x[TZ_ACCURACY_N_SERIES];
  double        legend_y;     /* the centre line of the legend row */
  double        content_top;  /* below the title and legend */
  gboolean      plotted;
  TzPlotRect    area;
  double        spacing;      /* between steps */
  double        tick_step;    /* between y grid lines, a fraction */
  double        tick_label_size;
  LabelMode     label_mode;
  guint         label_every;
  double        label_size;   /* font factor of step labels */
  double        label_max_width;
  double        label_height;
  double        line_width;
  double        point_radius;
} Layout;

static void
layout_clear (Layout *layout)
{
  g_clear_object (&layout->title);
  for (guint i = 0; i < TZ_ACCURACY_N_SERIES; i++)
    g_clear_object (&layout->legend[i]);
  g_clear_object (&layout->context);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Layout, layout_clear)

static inline double
legend_swatch_width (const Layout *layout)
{
  return 1.8 * layout->u;
}

static double
step_x (const Layout *layout,
        guint         step)
{
  return layout->area.x + (step + 0.5) * layout->spacing;
}

static double
value_y (const Layout *layout,
         double        value)
{
  return layout->area.y + (1.0 - CLAMP (value, 0.0, 1.0)) * layout->area.height;
}

static void
layout_compute (Layout                *layout,
                const TzAccuracyChart *self,
                double                 width,
                double                 height,
                const TzPlotStyle     *style)
{
  static const double tick_steps[] = { 0.1, 0.2, 0.25, 0.5, 1.0 };
  guint n_steps = self->steps->len;
  double u, pad, y, row_height = 0;
  double title_width = 0, title_height = 0;
  double legend_width = 0, legend_height = 0;
  double item_widths[TZ_ACCURACY_N_SERIES];
  double tick_label_width, tick_label_height;
  double left, right, top, bottom;
  double label_width = 0, label_height = 0, below_axis;
  g_autoptr(PangoLayout) probe = NULL;

  memset (layout, 0, sizeof *layout);
  layout->context = tz_plot_pango_context_new ();
  layout->u = u = tz_plot_style_font_px (style);
  layout->pad = pad = 0.9 * u;
  y = pad;

  if (self->title != NULL && self->title[0] != '\0')
    {
      layout->title = tz_plot_text_new (layout->context, style, self->title, 1.15, TRUE,
                                        MAX (width - 2 * pad, 1));
      tz_plot_text_get_size (layout->title, &title_width, &title_height);
    }

  for (guint i = 0; i < TZ_ACCURACY_N_SERIES; i++)
    {
      double w, h;

      layout->legend[i] = tz_plot_text_new (layout->context, style, self->series_labels[i],
                                            0.92, FALSE, 12 * u);
      tz_plot_text_get_size (layout->legend[i], &w, &h);
      item_widths[i] = legend_swatch_width (layout) + 0.4 * u + w;
      legend_width += item_widths[i] + (i > 0 ? 1.2 * u : 0);
      legend_height = MAX (legend_height, h);
    }

  /* The legend shares the title's row when both fit, else gets its own,
   * right-aligned above the plot as in GNOME Usage. */
  layout->title_x = pad;
  if (layout->title != NULL && pad + title_width + 1.5 * u + legend_width <= width - pad)
    {
      row_height = MAX (title_height, legend_height);
      layout->title_y = y + (row_height - title_height) / 2;
      layout->legend_y = y + row_height / 2;
      y += row_height + 0.6 * u;
    }
  else
    {
      if (layout->title != NULL)
        {
          layout->title_y = y;
          y += title_height + 0.4 * u;
        }
      layout->legend_y = y + legend_height / 2;
      y += legend_height + 0.6 * u;
    }

  {
    double x = MAX (width - pad - legend_width, pad);

    for (guint i = 0; i < TZ_ACCURACY_N_SERIES; i++)
      {
        layout->legend_x[i] = x;
        x += item_widths[i] + 1.2 * u;
      }
  }

  layout->content_top = y;
  if (n_steps == 0)
    return;

  layout->tick_label_size = 0.85;
  probe = tz_plot_text_new (layout->context, style, "100%", layout->tick_label_size, FALSE, -1);
  tz_plot_text_get_size (probe, &tick_label_width, &tick_label_height);

  top = y + tick_label_height / 2;
  left = pad + tick_label_width + 0.5 * u;
  right = width - pad;
  layout->spacing = (right - left) / n_steps;

  layout->label_size = 0.85;
  for (guint i = 0; i < n_steps; i++)
    {
      g_autoptr(PangoLayout) text = NULL;
      double w, h;

      text = tz_plot_text_new (layout->context, style,
                               g_array_index (self->steps, Step, i).label,
                               layout->label_size, FALSE, -1);
      tz_plot_text_get_size (text, &w, &h);
      label_width = MAX (label_width, w);
      label_height = MAX (label_height, h);
    }
  layout->label_height = label_height;

  {
    double spacing = MAX (layout->spacing, 1e-6);
    guint every_flat = (guint) ceil ((label_width + 0.6 * u) / spacing);
    /* Diagonal labels overlap unless their baselines, spacing x sin 45°
     * apart, clear a line. */
    guint every_diagonal = (guint) ceil (1.3 * label_height / (spacing * DIAGONAL));

    if (every_flat <= 1 || every_flat <= every_diagonal)
      {
        layout->label_mode = LABELS_HORIZONTAL;
        layout->label_every = MAX (every_flat, 1);
        layout->label_max_width = label_width;
        below_axis = 0.35 * u + 0.2 * u + label_height;
      }
    else
      {
        double first_x = left + spacing / 2;
        double cap = MIN (9 * u, 0.3 * height / DIAGONAL);

        /* The first label must not run off the left edge. */
        cap = MIN (cap, (first_x - pad / 2) / DIAGONAL - label_height / 2);
        layout->label_mode = LABELS_DIAGONAL;
        layout->label_every = MAX (every_diagonal, 1);
        layout->label_max_width = MAX (MIN (label_width, cap), 2 * u);
        below_axis = 0.35 * u + 0.2 * u + DIAGONAL * (layout->label_max_width + label_height);
      }
  }

  bottom = height - pad - below_axis;
  if (right - left < 2 * u || bottom - top < 2 * u)
    return;

  layout->plotted = TRUE;
  layout->area.x = left;
  layout->area.y = top;
  layout->area.width = right - left;
  layout->area.height = bottom - top;

  layout->tick_step = 1.0;
  for (guint i = 0; i < G_N_ELEMENTS (tick_steps); i++)
    if (layout->area.height * tick_steps[i] >= 1.6 * tick_label_height)
      {
        layout->tick_step = tick_steps[i];
        break;
      }

  layout->line_width = MAX (1.0, 0.15 * u);
  layout->point_radius = CLAMP (layout->spacing * 0.3, 1.5, 0.3 * u);
}

static void
draw_legend_swatch (cairo_t           *cr,
                    const Layout      *layout,
                    double             x,
                    const TzPlotColor *color,
                    const TzPlotStyle *style)
{
  double w = legend_swatch_width (layout);
  double y = layout->legend_y;

  cairo_set_line_width (cr, layout->line_width);
  tz_plot_set_color (cr, color, 1.0);
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x + w, y);
  cairo_stroke (cr);
  cairo_arc (cr, x + w / 2, y, 0.3 * layout->u, 0, 2 * G_PI);
  cairo_fill (cr);
}

static void
draw_series (cairo_t               *cr,
             const Layout          *layout,
             const TzAccuracyChart *self,
             TzAccuracySeries       series,
             const TzPlotStyle     *style)
{
  const TzPlotColor *color = &style->series[series];
  gboolean drawing = FALSE;
  double ring = MAX (0.75, 0.08 * layout->u);

  cairo_set_line_width (cr, layout->line_width);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  tz_plot_set_color (cr, color, 1.0);

  /* A missing value breaks the curve: the line never invents a trend
   * across a step that was not measured. */
  for (guint i = 0; i < self->steps->len; i++)
    {
      double value = g_array_index (self->steps, Step, i).values[series];

      if (!isfinite (value))
        {
          drawing = FALSE;
          continue;
        }

      if (drawing)
        cairo_line_to (cr, step_x (layout, i), value_y (layout, value));
      else
        cairo_move_to (cr, step_x (layout, i), value_y (layout, value));
      drawing = TRUE;
    }
  cairo_stroke (cr);

  for (guint i = 0; i < self->steps->len; i++)
    {
      double value = g_array_index (self->steps, Step, i).values[series];
      double x, y;

      if (!isfinite (value))
        continue;

      x = step_x (layout, i);
      y = value_y (layout, value);
      if (style->background.alpha > 0 && layout->point_radius >= 2.5)
        {
          tz_plot_set_color (cr, &style->background, 1.0);
          cairo_arc (cr, x, y, layout->point_radius + ring, 0, 2 * G_PI);
          cairo_fill (cr);
        }
      tz_plot_set_color (cr, color, 1.0);
      cairo_arc (cr, x, y, layout->point_radius, 0, 2 * G_PI);
      cairo_fill (cr);
    }
}

static void
draw_axes (cairo_t               *cr,
           const Layout          *layout,
           const TzAccuracyChart *self,
           const TzPlotStyle     *style)
{
  const TzPlotRect *area = &layout->area;
  guint n_ticks = (guint) round (1.0 / layout->tick_step);
  double bottom = area->y + area->height;
  double tick_length = 0.35 * layout->u;

  cairo_set_line_width (cr, 1.0);
  for (guint i = 0; i <= n_ticks; i++)
    {
      double value = MIN (i * layout->tick_step, 1.0);
      double y = value_y (layout, value);
      g_autofree char *text = g_strdup_printf ("%d%%", (int) round (value * 100));
      g_autoptr(PangoLayout) label = tz_plot_text_new (layout->context, style, text,
                                                       layout->tick_label_size, FALSE, -1);
      TzPlotColor dim = style->foreground;

      /* The 0% line doubles as the x axis, drawn stronger below. */
      if (i > 0)
        {
          /* Half-pixel positions keep one-pixel lines sharp. */
          double crisp = floor (y) + 0.5;

          tz_plot_set_color (cr, &style->grid, 1.0);
          cairo_move_to (cr, area->x, crisp);
          cairo_line_to (cr, area->x + area->width, crisp);
          cairo_stroke (cr);
        }

      dim.alpha *= 0.7;
      tz_plot_text_draw (cr, label, area->x - 0.5 * layout->u, y, 1.0, 0.5, 0, &dim);
    }

  tz_plot_set_color (cr, &style->foreground, 0.45);
  cairo_move_to (cr, area->x, floor (bottom) + 0.5);
  cairo_line_to (cr, area->x + area->width, floor (bottom) + 0.5);
  cairo_stroke (cr);

  for (guint i = 0; i < self->steps->len; i++)
    {
      double x = step_x (layout, i);
      g_autoptr(PangoLayout) label = NULL;
      TzPlotColor dim = style->foreground;
      gboolean labelled = i % layout->label_every == 0;

      /* Unlabelled steps keep a shorter tick when there is room. */
      if (labelled || layout->spacing >= 3)
        {
          double length = labelled ? tick_length : tick_length / 2;

          tz_plot_set_color (cr, &style->foreground, 0.45);
          cairo_move_to (cr, floor (x) + 0.5, bottom);
          cairo_line_to (cr, floor (x) + 0.5, bottom + length);
          cairo_stroke (cr);
        }

      if (!labelled)
        continue;

      dim.alpha *= 0.8;
      label = tz_plot_text_new (layout->context, style,
                                g_array_index (self->steps, Step, i).label,
                                layout->label_size, FALSE,
                                layout->label_mode == LABELS_DIAGONAL ? layout->label_max_width : -1);
      if (layout->label_mode == LABELS_HORIZONTAL)
        tz_plot_text_draw (cr, label, x, bottom + tick_length + 0.2 * layout->u, 0.5, 0.0, 0, &dim);
      else
        tz_plot_text_draw (cr, label, x,
                           bottom + tick_length + 0.2 * layout->u + DIAGONAL * layout->label_height / 2,
                           1.0, 0.5, -G_PI / 4, &dim);
    }
}

static void
draw_chart (gconstpointer      chart,
            cairo_t           *cr,
            double             width,
            double             height,
            const TzPlotStyle *style)
{
  const TzAccuracyChart *self = chart;
  g_auto(Layout) layout = { 0 };
  TzPlotStyle default_style;

  if (!tz_plot_begin (cr, width, height, &style, &default_style))
    return;

  layout_compute (&layout, self, width, height, style);

  if (layout.title != NULL)
    tz_plot_text_draw (cr, layout.title, layout.title_x, layout.title_y, 0, 0, 0, &style->foreground);

  if (self->steps->len == 0)
    {
      tz_plot_draw_empty_text (cr, layout.context, style, self->empty_text, width, height,
                               layout.content_top, layout.pad);
      cairo_restore (cr);
      return;
    }

  for (guint i = 0; i < TZ_ACCURACY_N_SERIES; i++)
    {
      double text_x = layout.legend_x[i] + legend_swatch_width (&layout) + 0.4 * layout.u;

      draw_legend_swatch (cr, &layout, layout.legend_x[i], &style->series[i], style);
      tz_plot_text_draw (cr, layout.legend[i], text_x, layout.legend_y, 0, 0.5, 0, &style->foreground);
    }

  if (layout.plotted)
    {
      draw_axes (cr, &layout, self, style);
      for (guint i = 0; i < TZ_ACCURACY_N_SERIES; i++)
        draw_series (cr, &layout, self, i, style);
    }

  cairo_restore (cr);
}

void
tz_accuracy_chart_draw (const TzAccuracyChart *self,
                        cairo_t               *cr,
                        double                 width,
                        double                 height,
                        const TzPlotStyle     *style)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (cr != NULL);

  draw_chart (self, cr, width, height, style);
}

static const TzPlotStyle *
style_or_default (const TzPlotStyle *style,
                  TzPlotStyle       *storage)
{
  if (style != NULL)
    return style;

  tz_plot_style_init (storage, FALSE);
  return storage;
}

gboolean
tz_accuracy_chart_get_plot_area (const TzAccuracyChart *self,
                                 double                 width,
                                 double                 height,
                                 const TzPlotStyle     *style,
                                 TzPlotRect            *area)
{
  g_auto(Layout) layout = { 0 };
  TzPlotStyle storage;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!(width > 0 && height > 0 && isfinite (width) && isfinite (height)))
    return FALSE;

  layout_compute (&layout, self, width, height, style_or_default (style, &storage));
  if (!layout.plotted)
    return FALSE;

  if (area != NULL)
    *area = layout.area;
  return TRUE;
}

gboolean
tz_accuracy_chart_get_point (const TzAccuracyChart *self,
                             double                 width,
                             double                 height,
                             const TzPlotStyle     *style,
                             guint                  step,
                             TzAccuracySeries       series,
                             double                *x,
                             double                *y)
{
  g_auto(Layout) layout = { 0 };
  TzPlotStyle storage;
  double value;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (step < self->steps->len, FALSE);
  g_return_val_if_fail (series < TZ_ACCURACY_N_SERIES, FALSE);

  value = g_array_index (self->steps, Step, step).values[series];
  if (!isfinite (value) || !(width > 0 && height > 0 && isfinite (width) && isfinite (height)))
    return FALSE;

  layout_compute (&layout, self, width, height, style_or_default (style, &storage));
  if (!layout.plotted)
    return FALSE;

  if (x != NULL)
    *x = step_x (&layout, step);
  if (y != NULL)
    *y = value_y (&layout, value);
  return TRUE;
}

gboolean
tz_accuracy_chart_hit_test (const TzAccuracyChart *self,
                            double                 width,
                            double                 height,
                            const TzPlotStyle     *style,
                            double                 x,
                            double                 y,
                            double                 radius,
                            guint                 *step,
                            TzAccuracySeries      *series)
{
  g_auto(Layout) layout = { 0 };
  TzPlotStyle storage;
  double best = radius * radius;
  gboolean found = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!(width > 0 && height > 0 && isfinite (width) && isfinite (height)) || !(radius >= 0))
    return FALSE;

  layout_compute (&layout, self, width, height, style_or_default (style, &storage));
  if (!layout.plotted)
    return FALSE;

  for (guint i = 0; i < self->steps->len; i++)
    for (guint s = 0; s < TZ_ACCURACY_N_SERIES; s++)
      {
        double value = g_array_index (self->steps, Step, i).values[s];
        double dx, dy, d2;

        if (!isfinite (value))
          continue;

        dx = step_x (&layout, i) - x;
        dy = value_y (&layout, value) - y;
        d2 = dx * dx + dy * dy;
        /* On a tie the curve drawn on top (the later series) wins. */
        if (d2 <= best)
          {
            best = d2;
            found = TRUE;
            if (step != NULL)
              *step = i;
            if (series != NULL)
              *series = s;
          }
      }

  return found;
}

static char *
describe (const TzAccuracyChart *self)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "Accuracy after each learning step (%s; %s).",
                          self->series_labels[0], self->series_labels[1]);
  for (guint i = 0; i < self->steps->len; i++)
    {
      const Step *step = &g_array_index (self->steps, Step, i);

      g_string_append_printf (text, "\n%s:", step->label);
      for (guint s = 0; s < TZ_ACCURACY_N_SERIES; s++)
        {
          if (isfinite (step->values[s]))
            g_string_append_printf (text, " %s %.1f%%", self->series_labels[s], 100 * step->values[s]);
          else
            g_string_append_printf (text, " %s -", self->series_labels[s]);
          if (s + 1 < TZ_ACCURACY_N_SERIES)
            g_string_append_c (text, ';');
        }
    }

  return g_string_free (text, FALSE);
}

gboolean
tz_accuracy_chart_save (const TzAccuracyChart *self,
                        const char            *path,
                        double                 width,
                        double                 height,
                        double                 scale,
                        const TzPlotStyle     *style,
                        GError               **error)
{
  g_autofree char *description = NULL;
  TzPlotStyle storage;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  description = describe (self);
  return tz_plot_save_drawing (path, width, height, scale, draw_chart, self,
                               style_or_default (style, &storage),
                               self->title,
                               description, error);
}
