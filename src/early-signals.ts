/**
 * The process's signal requests, created when this module is evaluated: src/main.ts imports it
 * first, so the listeners exist before any other module loads or any I/O happens. See signals.ts.
 */
import { EARLY_SIGNALS_KEY, SignalRequests, type EarlySignals } from './signals.js';

export const processSignals = new SignalRequests(process, (code) => process.exit(code));
processSignals.adopt((globalThis as Record<symbol, EarlySignals | undefined>)[EARLY_SIGNALS_KEY]);
