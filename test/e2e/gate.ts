/**
 * The opt-in gate every e2e suite passes through: reads the settings once per process and, when
 * TVM_E2E_BUCKET is not set, prints the reason once (not once per suite) before the suites skip.
 * A set bucket with unusable settings throws, so a misconfigured CI job fails instead of skipping.
 */
import { readE2eSettings, type E2eSettings } from './settings.js';

let reported = false;

/** The settings to run with, or null after printing why the e2e suites are skipped. */
export function e2eSettingsOrSkip(): E2eSettings | null {
  const setup = readE2eSettings(process.env);
  if (setup.run) return setup.settings;
  if (!reported) {
    reported = true;
    console.log(`    e2e suites skipped: ${setup.reason}`);
  }
  return null;
}
