/** A readable of `totalBytes` filler bytes in `chunk`-sized pieces that says how much it produced. */
import { Readable } from 'node:stream';

export function byteSource(totalBytes: number, chunk = 64 * 1024): Readable & { produced: () => number } {
  let produced = 0;
  const r = new Readable({
    read() {
      if (produced >= totalBytes) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, totalBytes - produced);
      produced += n;
      this.push(Buffer.alloc(n, 7));
    },
  });
  return Object.assign(r, { produced: () => produced });
}
