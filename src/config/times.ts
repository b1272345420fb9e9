/**
 * Time-of-day values in the configuration ("HH:MM", local time). Parses them strictly into
 * minutes since midnight and formats them back for summaries and messages. Strict on purpose:
 * the reference validated with `int()` but ran with `strptime`, so times such as " 09:00" passed
 * validation and then failed every minute at run time. Here a value is either exactly valid or
 * rejected when the file is loaded. Not responsible for windows or schedules (schedule/ does that).
 */
/** Minutes since local midnight, 0..1439. Defined here, beside its parser, so that types.ts can
 * re-export it without times.ts importing types.ts back (a cycle through link/timetable.ts). */
export type MinuteOfDay = number;

/** `H:MM` or `HH:MM`, hours 0–23, minutes 00–59; nothing before or after. */
const TIME_OF_DAY = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** Minutes since midnight, or null when the text is not exactly a valid `H:MM` / `HH:MM`. */
export function parseTimeOfDay(text: string): MinuteOfDay | null {
  const m = TIME_OF_DAY.exec(text);
  if (!m) return null;
  return Number(m[1]) * 60 + Number(m[2]);
}

/** `HH:MM` for a minute of the day (0..1439). */
export function formatTimeOfDay(minute: MinuteOfDay): string {
  const h = Math.floor(minute / 60);
  const m = minute % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}
