/*
 * The dashboard from the inside: what its screens share. ui.h is what the
 * terminal side (tui.c) and the tests see; this header is for the files
 * of src/ui only.
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_UI_SCREEN_H
#define REPOPOOL_UI_SCREEN_H

#include <stddef.h>

#include "repopool/ui.h"

/* --- the rows (ui_view.c) --- */

/* Rebuilds the view's rows in display order: the state and text filters,
 * then the sort. */
void ui_view_order(struct ui_view *v, const struct runner *r, double now);
/* The row of the selected task. A task no longer shown gives way to the
 * first row, which becomes the selection. */
size_t ui_view_selected_row(struct ui_view *v);
/* How far a page key moves: the table's height less one row. */
int ui_view_page(const struct ui_view *v);
/* How long a task's current or last attempt ran; 0 before its first. */
double ui_task_duration(const struct task *t, double now);

#endif
