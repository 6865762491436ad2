/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>
#include <math.h>

#include "tz-class-item.h"
#include "tz-try-view.h"

#define MAX_RESULTS 5

typedef struct
{
  char   *name;
  double  posterior;
} TryResult;

struct _TzTryView
{
  GtkWidget       parent_instance;

  /* Template widgets */
  GtkStack       *stack;
  GtkSpinner     *spinner;
  AdwStatusPage  *error_page;
  GtkPicture     *picture;
  GtkLabel       *verdict_label;
  GtkLabel       *file_label;
  GtkLabel       *distance_label;
  GtkRevealer    *novelty_revealer;
  GtkListBox     *results_list;

  /* Owned references */
  TzEngine       *engine;
  GListModel     *classes;
  GCancellable   *cancellable;
  char           *path;
  char           *error;
  GArray         *results;

  TzTryState      state;
  double          min_distance;
  double          threshold;
  gboolean        looks_new;
};

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (TzTryView, tz_try_view, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

static void
set_state (TzTryView  *self,
           TzTryState  state)
{
  static const char *const pages[] = { "empty", "busy", "result", "error" };

  gtk_spinner_set_spinning (self->spinner, state == TZ_TRY_STATE_BUSY);
  gtk_stack_set_visible_child_name (self->stack, pages[state]);
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
}

static void
fail (TzTryView  *self,
      const char *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  adw_status_page_set_description (self->error_page, message);
  set_state (self, TZ_TRY_STATE_ERROR);
}

static void
clear_results (TzTryView *self)
{
  GtkWidget *child;

  for (guint i = 0; i < self->results->len; i++)
    g_free (g_array_index (self->results, TryResult, i).name);
  g_array_set_size (self->results, 0);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->results_list))) != NULL)
    gtk_list_box_remove (self->results_list, child);
}

static const GdkRGBA *
color_of_class (TzTryView  *self,
                const char *name)
{
  guint n = self->classes ? g_list_model_get_n_items (self->classes) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TzClassItem) item = g_list_model_get_item (self->classes, i);

      if (g_strcmp0 (tz_class_item_get_name (item), name) == 0)
        return tz_class_item_get_color (item);
    }
  return NULL;
}

static void
draw_swatch (GtkDrawingArea *area,
             cairo_t        *cr,
             int             width,
             int             height,
             gpointer        user_data)
{
  gdk_cairo_set_source_rgba (cr, user_data);
  cairo_arc (cr, width / 2.0, height / 2.0, MIN (width, height) / 2.0, 0, 2 * G_PI);
  cairo_fill (cr);
}

static GtkWidget *
make_result_row (TzTryView       *self,
                 const TryResult *result)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *bar = gtk_level_bar_new_for_interval (0.0, 1.0);
  GtkWidget *percent;
  GtkWidget *swatch = gtk_drawing_area_new ();
  const GdkRGBA *color = color_of_class (self, result->name);
  g_autofree char *text = g_strdup_printf (_("%.1f%%"), 100.0 * result->posterior);
  g_autofree char *markup = g_markup_escape_text (result->name, -1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), markup);
  gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), CLAMP (result->posterior, 0.0, 1.0));
  /* Posteriors are not good or bad levels: one colour for all. */
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_FULL);
  gtk_widget_set_size_request (bar, 160, -1);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (bar, "posterior");
  percent = gtk_label_new (text);
  gtk_label_set_width_chars (GTK_LABEL (percent), 6);
  gtk_label_set_xalign (GTK_LABEL (percent), 1.0);
  gtk_widget_add_css_class (percent, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), bar);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), percent);

  if (color != NULL)
    {
      gtk_widget_set_size_request (swatch, 12, 12);
      gtk_widget_set_valign (swatch, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (swatch, "class-swatch");
      gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (swatch), draw_swatch,
                                      gdk_rgba_copy (color), (GDestroyNotify) gdk_rgba_free);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), swatch);
    }
  return row;
}

static void
show_results (TzTryView *self)
{
  const TryResult *best = &g_array_index (self->results, TryResult, 0);
  g_autofree char *verdict = NULL;
  g_autofree char *distance = NULL;
  g_autofree char *basename = g_filename_display_basename (self->path);
  g_autoptr(GFile) file = g_file_new_for_path (self->path);

  if (self->looks_new)
    /* TRANSLATORS: the verdict when the image is far from every class; %s
     * is the nearest class anyway */
    verdict = g_strdup_printf (_("Unlike Any Class, Nearest to %s"), best->name);
  else
    verdict = g_strdup_printf (_("Looks Like %s"), best->name);
  gtk_label_set_label (self->verdict_label, verdict);
  gtk_label_set_label (self->file_label, basename);
  if (isfinite (self->threshold))
    /* TRANSLATORS: the squared Mahalanobis distance of the image to the
     * nearest class, and the novelty threshold */
    distance = g_strdup_printf (_("Squared Mahalanobis distance to the nearest class: %.1f (new above %.1f)"),
                                self->min_distance, self->threshold);
  else
    distance = g_strdup_printf (_("Squared Mahalanobis distance to the nearest class: %.1f (no evaluation images to calibrate novelty)"),
                                self->min_distance);
  gtk_label_set_label (self->distance_label, distance);
  gtk_picture_set_file (self->picture, file);
  gtk_revealer_set_reveal_child (self->novelty_revealer, self->looks_new);

  for (guint i = 0; i < self->results->len; i++)
    gtk_list_box_append (self->results_list,
                         make_result_row (self, &g_array_index (self->results, TryResult, i)));
  set_state (self, TZ_TRY_STATE_RESULT);
}

static int
compare_results (gconstpointer a,
                 gconstpointer b)
{
  const TryResult *ra = a;
  const TryResult *rb = b;

  return (ra->posterior < rb->posterior) - (ra->posterior > rb->posterior);
}

static void
extract_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TzTryView) self = user_data;
  g_autoptr(TzExtraction) extraction = NULL;
  g_autoptr(TzSnapshot) snapshot = NULL;
  g_autoptr(TzScores) scores = NULL;
  g_autoptr(GError) error = NULL;
  guint n_classes;

  extraction = tz_engine_extract_files_finish (TZ_ENGINE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (extraction == NULL)
    {
      fail (self, error->message);
      return;
    }
  if (!extraction->ok[0])
    {
      fail (self, extraction->skipped->len > 0 ? g_ptr_array_index (extraction->skipped, 0)
                                               : _("The image could not be read"));
      return;
    }

  snapshot = tz_engine_get_snapshot (self->engine);
  if (snapshot->classifier == NULL)
    {
      fail (self, snapshot->classifier_error != NULL ? snapshot->classifier_error
                                                    : _("No class is learned yet: add images to a class first."));
      return;
    }
  scores = tz_gaussian_classifier_score (snapshot->classifier, extraction->features, 1, extraction->dim,
                                         TZ_SCORE_POSTERIORS | TZ_SCORE_DISTANCES, &error);
  if (scores == NULL)
    {
      fail (self, error->message);
      return;
    }

  n_classes = scores->n_classes;
  for (guint c = 0; c < n_classes; c++)
    {
      TryResult r = {
        g_strdup (tz_gaussian_classifier_get_class_name (snapshot->classifier, c)),
        scores->posteriors[c],
      };

      g_array_append_val (self->results, r);
    }
  g_array_sort (self->results, compare_results);
  while (self->results->len > MAX_RESULTS)
    {
      g_free (g_array_index (self->results, TryResult, self->results->len - 1).name);
      g_array_set_size (self->results, self->results->len - 1);
    }
  self->min_distance = scores->min_distances[0];
  self->threshold = snapshot->novelty_threshold;
  self->looks_new = isfinite (self->threshold) && self->min_distance > self->threshold;
  show_results (self);
}

static void
tz_try_view_dispose (GObject *object)
{
  TzTryView *self = TZ_TRY_VIEW (object);
  GtkWidget *child;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), TZ_TYPE_TRY_VIEW);
  /* The template's root child is not bound to a field, so it is not
   * unparented by gtk_widget_dispose_template() in GTK 4.8. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (tz_try_view_parent_class)->dispose (object);
}

static void
tz_try_view_finalize (GObject *object)
{
  TzTryView *self = TZ_TRY_VIEW (object);

  for (guint i = 0; i < self->results->len; i++)
    g_free (g_array_index (self->results, TryResult, i).name);
  g_array_unref (self->results);
  g_clear_object (&self->engine);
  g_clear_object (&self->classes);
  g_free (self->path);
  g_free (self->error);

  G_OBJECT_CLASS (tz_try_view_parent_class)->finalize (object);
}

static void
tz_try_view_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  TzTryView *self = TZ_TRY_VIEW (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_uint (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
drop_file (GtkDropTarget *target,
           const GValue  *value,
           double         x,
           double         y,
           TzTryView     *self)
{
  GSList *files = g_value_get_boxed (value);
  g_autofree char *path = NULL;

  if (files == NULL || (path = g_file_get_path (files->data)) == NULL)
    return FALSE;
  tz_try_view_try_file (self, path);
  return TRUE;
}

static void
tz_try_view_class_init (TzTryViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tz_try_view_dispose;
  object_class->finalize = tz_try_view_finalize;
  object_class->get_property = tz_try_view_get_property;

  properties[PROP_STATE] =
    g_param_spec_uint ("state", NULL, NULL, 0, TZ_TRY_STATE_ERROR, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tsuzuki/Tsuzuki/ui/tz-try-view.ui");
  gtk_widget_class_bind_template_child (widget_class, TzTryView, stack);
  gtk_widget_class_bind_template_child (widget_class, TzTryView, spinner);
  gtk_widget_class_bind_template_child (widget_class, TzTryView, error_page);
  gtk_widget_class_bind_template_child (widget_class, TzTryView, picture);
  gtk_widget_class_bind_template_child (widget_class, TzTryView, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, TzTryView, file_label);
  gtk_widget_class_bind_template_child (widget_class, TzTryView, distance_label);
  gtk_widget_class_bind_template_child (widget_class, TzTryView, novelty_revealer);
  gtk_widget_class_bind_template_child (widget_class, TzTryView, results_list);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
tz_try_view_init (TzTryView *self)
{
  GtkDropTarget *target;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->results = g_array_new (FALSE, FALSE, sizeof (TryResult));
  self->min_distance = NAN;
  self->threshold = NAN;

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (target, "drop", G_CALLBACK (drop_file), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}

GtkWidget *
tz_try_view_new (void)
{
  return g_object_new (TZ_TYPE_TRY_VIEW, NULL);
}

void
tz_try_view_set_engine (TzTryView *self,
                        TzEngine  *engine)
{
  g_return_if_fail (TZ_IS_TRY_VIEW (self));
  g_return_if_fail (engine == NULL || TZ_IS_ENGINE (engine));

  g_set_object (&self->engine, engine);
}

void
tz_try_view_set_classes (TzTryView  *self,
                         GListModel *classes)
{
  g_return_if_fail (TZ_IS_TRY_VIEW (self));

  g_set_object (&self->classes, classes);
}

void
tz_try_view_try_file (TzTryView  *self,
                      const char *path)
{
  const char *paths[1];

  g_return_if_fail (TZ_IS_TRY_VIEW (self));
  g_return_if_fail (path != NULL);
  g_return_if_fail (self->engine != NULL);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_free (self->path);
  self->path = g_strdup (path);
  g_clear_pointer (&self->error, g_free);
  clear_results (self);
  self->min_distance = NAN;
  self->threshold = NAN;
  self->looks_new = FALSE;
  set_state (self, TZ_TRY_STATE_BUSY);

  paths[0] = path;
  tz_engine_extract_files_async (self->engine, paths, 1, self->cancellable,
                                 extract_done, g_object_ref (self));
}

TzTryState
tz_try_view_get_state (TzTryView *self)
{
  g_return_val_if_fail (TZ_IS_TRY_VIEW (self), TZ_TRY_STATE_EMPTY);
  return self->state;
}

const char *
tz_try_view_get_path (TzTryView *self)
{
  g_return_val_if_fail (TZ_IS_TRY_VIEW (self), NULL);
  return self->path;
}

const char *
tz_try_view_get_error (TzTryView *self)
{
  g_return_val_if_fail (TZ_IS_TRY_VIEW (self), NULL);
  return self->error;
}

guint
tz_try_view_get_n_results (TzTryView *self)
{
  g_return_val_if_fail (TZ_IS_TRY_VIEW (self), 0);
  return self->results->len;
}

const char *
tz_try_view_get_result (TzTryView *self,
                        guint      index,
                        double    *posterior)
{
  const TryResult *result;

  g_return_val_if_fail (TZ_IS_TRY_VIEW (self), NULL);
  g_return_val_if_fail (index < self->results->len, NULL);

  result = &g_array_index (self->results, TryResult, index);
  if (posterior != NULL)
    *posterior = result->posterior;
  return result->name;
}

double
tz_try_view_get_min_distance (TzTryView *self)
{
  g_return_val_if_fail (TZ_IS_TRY_VIEW (self), NAN);
  return self->min_distance;
}

double
tz_try_view_get_threshold (TzTryView *self)
{
  g_return_val_if_fail (TZ_IS_TRY_VIEW (self), NAN);
  return self->threshold;
}

gboolean
tz_try_view_get_looks_new (TzTryView *self)
{
  g_return_val_if_fail (TZ_IS_TRY_VIEW (self), FALSE);
  return self->looks_new;
}
