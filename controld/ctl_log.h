/*
 * Log lines "controld: ..." / "llmctl: ..." to stderr or a file.  Callers
 * never pass secrets; cfg_secret_hint() is the only way to mention one.
 */

#ifndef CTL_LOG_H
#define CTL_LOG_H

/* file NULL: stderr.  Returns -1 (and keeps stderr) if file can't open. */
int ctl_log_init(const char *program, const char *file);

void ctl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
