/**
 * The daemon in process with its status endpoint: the URL it logs when it listens (the
 * configuration binds port 0, so only the log knows the port).
 */
import { parseConfig } from '../../src/config/load.js';
import { Daemon, type DaemonOptions } from '../../src/daemon.js';
import { silentLogger } from '../../src/telemetry/logger.js';

export async function startDaemonWithEndpoint(
  yaml: string,
  options: Omit<DaemonOptions, 'config' | 'logger'>,
): Promise<{ daemon: Daemon; urls: string[] }> {
  const urls: string[] = [];
  const logger = silentLogger();
  const info = logger.info.bind(logger);
  logger.info = ((obj: unknown, msg?: string) => {
    if (obj && typeof obj === 'object' && 'url' in obj) urls.push(String((obj as { url: string }).url));
    return info(obj as object, msg);
  }) as typeof logger.info;
  const daemon = await Daemon.start({ ...options, config: parseConfig(yaml, { env: {} }), logger });
  return { daemon, urls };
}
