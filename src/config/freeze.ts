/**
 * Deep freeze for the resolved configuration: once loaded, nothing in the daemon can change a
 * setting behind another component's back.
 */

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
