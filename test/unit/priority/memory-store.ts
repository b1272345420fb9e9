/** An in-memory stand-in for the meta table (get/set by key) for the marker and budget tests. */
export class MemoryStore {
  readonly data = new Map<string, string>();
  get(k: string): string | null {
    return this.data.get(k) ?? null;
  }
  set(k: string, v: string): void {
    this.data.set(k, v);
  }
}
