/**
 * "Lean" deployment settings the memory analysis in docs/PERFORMANCE.md tests: not configuration
 * keys but how the process is started (the systemd unit sets the first and the last since issue 16;
 * the primary runs here still use Node's defaults, so they stay comparable with older runs). V8 otherwise sizes
 * its heap from the machine's memory and lets garbage pile up long before collecting it (the
 * live main-thread heap stays near 21 MiB while its peak passes 150 MiB); glibc gives every
 * thread its own malloc arena, which keeps freed native memory resident.
 *
 *   --max-semi-space-size=1    young generation ≤ 3 × 1 MiB instead of up to 3 × 16 MiB
 *   --max-old-space-size=64    old generation capped: major GCs run before garbage piles up
 *                              (3× the measured live heap; the main-thread heap only)
 *   MALLOC_ARENA_MAX=2         at most two malloc arenas for all threads
 */
export const LEAN = {
  nodeFlags: ['--max-semi-space-size=1', '--max-old-space-size=64'],
  env: { MALLOC_ARENA_MAX: '2' },
} as const;
