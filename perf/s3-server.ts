/**
 * The perf suites' S3 server, run as its own process so its CPU and memory are measured apart
 * from the daemon's and it never shares the daemon's event loop (in tests s3rver runs in the
 * test process; here that would hide the server's cost inside ours).
 *
 *   node --import tsx perf/s3-server.ts --dir <data dir> --bucket a --bucket b
 *
 * Starts s3rver on 127.0.0.1 (OS-assigned port) with the given buckets, prints one JSON line
 * `{"port":N}` on stdout, and stops on SIGTERM/SIGINT. Objects are stored on disk under --dir.
 */
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

interface S3rverInstance {
  run(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;

function parseArgs(argv: readonly string[]): { dir: string; buckets: string[] } {
  let dir: string | null = null;
  const buckets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === '--dir' && value !== undefined) dir = value;
    else if (argv[i] === '--bucket' && value !== undefined) buckets.push(value);
    else throw new Error(`s3-server: unexpected argument ${String(argv[i])}`);
    i++;
  }
  if (dir === null) throw new Error('s3-server: --dir is required');
  return { dir, buckets };
}

async function main(): Promise<void> {
  const { dir, buckets } = parseArgs(process.argv.slice(2));
  mkdirSync(dir, { recursive: true });
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    directory: dir,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`s3-server: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
