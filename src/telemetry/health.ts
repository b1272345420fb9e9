/**
 * The daemon's health: a set of named reasons why it is degraded (state store not writable, disk
 * full, pipeline stopped…). A component that hits a condition it will retry calls `degrade(key,
 * message)`; when it recovers it calls `recover(key)`. `/healthz`, `status` and the logs read the
 * same set, so they cannot disagree. It decides nothing: it records, and tells listeners when the
 * set changes (one log line per transition, not per retry).
 */

export interface HealthReason {
  readonly key: string;
  readonly message: string;
  /** Epoch ms when this reason first appeared (a repeated degrade keeps the first time). */
  readonly since: number;
}

export type HealthListener = (change: { readonly kind: 'degraded' | 'recovered'; readonly reason: HealthReason }) => void;

export class Health {
  readonly #reasons = new Map<string, HealthReason>();
  readonly #listeners = new Set<HealthListener>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records `key` as a reason; true when it is new (listeners are told only then). */
  degrade(key: string, message: string): boolean {
    const prev = this.#reasons.get(key);
    if (prev !== undefined) {
      if (prev.message !== message) this.#reasons.set(key, { ...prev, message });
      return false;
    }
    const reason = { key, message, since: this.now() };
    this.#reasons.set(key, reason);
    this.#tell({ kind: 'degraded', reason });
    return true;
  }

  /** Clears `key`; true when it was set. */
  recover(key: string): boolean {
    const prev = this.#reasons.get(key);
    if (prev === undefined) return false;
    this.#reasons.delete(key);
    this.#tell({ kind: 'recovered', reason: prev });
    return true;
  }

  get degraded(): boolean {
    return this.#reasons.size > 0;
  }

  /** The current reasons, oldest first. */
  reasons(): HealthReason[] {
    return [...this.#reasons.values()].sort((a, b) => a.since - b.since || a.key.localeCompare(b.key));
  }

  onChange(listener: HealthListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #tell(change: Parameters<HealthListener>[0]): void {
    for (const l of this.#listeners) {
      try {
        l(change);
      } catch {
        // A listener's failure must not change what the daemon records about its own health.
      }
    }
  }
}
