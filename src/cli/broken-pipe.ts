/**
 * `tvm-upload status | head -1`: the reader closes the pipe and the next write to stdout fails
 * with EPIPE. Without a listener that is an uncaught exception, which the process guards treat
 * as fatal (exit 70 with a "fatal" line on stderr) for what is a normal end of a pipeline. A
 * command then leaves quietly with its exit code so far (0 unless it already failed); the daemon
 * (`run`, whose log lines go to stdout) keeps running, since losing log lines must not stop
 * uploads. Any other stdout error is left to the guards as before.
 */
import type { EventEmitter } from 'node:events';

export function handleBrokenPipe(stream: Pick<EventEmitter, 'on'>, o: { daemon: boolean; exit: () => void }): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (!o.daemon) o.exit();
  });
}
