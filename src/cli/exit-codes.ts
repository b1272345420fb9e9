/** Process exit codes: the contract with systemd units and scripts. */
export const EXIT_OK = 0;
/** Runtime failure (state store unusable, unexpected error). */
export const EXIT_RUNTIME = 1;
/** Usage or configuration error: fix the command line or config file, restarting will not help. */
export const EXIT_CONFIG = 2;
/** Interrupted by Ctrl-C / SIGTERM (128 + SIGINT), work checkpointed: the shell convention. */
export const EXIT_INTERRUPTED = 130;
