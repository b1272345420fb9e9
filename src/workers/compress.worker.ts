/**
 * Entry point of a compression worker thread (piscina loads this file's default export). It is
 * the thread-side end of the closed protocol in protocol.ts: it checks that what arrived is a
 * well-formed CompressRequest, runs it, and always *resolves* with a WorkerReply — expected failures
 * (file vanished, changed, unreadable, disk full, codec missing) are data, not exceptions. Only a
 * crash of the thread itself surfaces as a rejected task on the main thread. A reply carrying a
 * small output's bytes (`body`) moves its ArrayBuffer to the main thread instead of copying it.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { ErrorCodes } from '../errors.js';
import { runCompressRequest, type CompressDeps } from './compress-engine.js';
import { toWorkerFailure } from './failure.js';
import type { WorkerFailure, WorkerReply } from './protocol.js';

const CODECS: readonly unknown[] = ['gzip', 'zstd', 'none'];

function malformed(reason: string): WorkerFailure {
  return { kind: 'failed', code: ErrorCodes.WORKER_FAILED, message: `malformed compression job: ${reason}`, syscallCode: null };
}

function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Why `request` is not a usable CompressRequest, or null when it is. */
export function requestProblem(request: unknown): WorkerFailure | null {
  if (typeof request !== 'object' || request === null) return malformed(`expected an object, got ${request === null ? 'null' : typeof request}`);
  const j = request as Record<string, unknown>;
  if (j.kind !== 'compress') {
    return { kind: 'failed', code: ErrorCodes.WORKER_FAILED, message: `unknown job kind: ${JSON.stringify(j.kind) ?? 'undefined'}`, syscallCode: null };
  }
  if (typeof j.sourcePath !== 'string' || j.sourcePath === '') return malformed('sourcePath must be a non-empty string');
  if (typeof j.outputPath !== 'string' || j.outputPath === '') return malformed('outputPath must be a non-empty string');
  if (!CODECS.includes(j.codec)) return malformed(`unknown codec ${JSON.stringify(j.codec) ?? 'undefined'}`);
  if (typeof j.level !== 'number' || !Number.isInteger(j.level)) return malformed('level must be an integer');
  if (!Array.isArray(j.skipExtensions) || !j.skipExtensions.every((e) => typeof e === 'string')) {
    return malformed('skipExtensions must be an array of strings');
  }
  if (!Number.isSafeInteger(j.partSize) || (j.partSize as number) < 1) return malformed('partSize must be a positive integer');
  if (!Number.isSafeInteger(j.expectedSize) || (j.expectedSize as number) < 0) return malformed('expectedSize must be a non-negative integer');
  if (!isNonNegativeNumber(j.expectedMtimeMs)) return malformed('expectedMtimeMs must be a non-negative number');
  if (j.memoryMaxBytes !== undefined && (!Number.isSafeInteger(j.memoryMaxBytes) || (j.memoryMaxBytes as number) < 0)) {
    return malformed('memoryMaxBytes must be a non-negative integer when given');
  }
  return null;
}

/** Validates and runs one request; never rejects for an expected failure. `deps` is for test fixtures. */
export async function handleRequest(request: unknown, deps: CompressDeps = {}): Promise<WorkerReply> {
  const problem = requestProblem(request);
  if (problem !== null) return problem;
  try {
    // requestProblem() has checked every field of the protocol type.
    return await runCompressRequest(request as Parameters<typeof runCompressRequest>[0], deps);
  } catch (err) {
    return toWorkerFailure(err);
  }
}

/**
 * The reply as piscina should post it: a `body` is transferred (its ArrayBuffer moves to the main
 * thread and is gone from this one), every other reply is structured-cloned as usual.
 */
export function forPosting(reply: WorkerReply): unknown {
  if (reply.kind !== 'compressed' || reply.body === undefined) return reply;
  return move({ [transferableSymbol]: [reply.body.buffer], [valueSymbol]: reply } as unknown as Parameters<typeof move>[0]);
}

export default async function compressWorker(request: unknown): Promise<unknown> {
  return forPosting(await handleRequest(request));
}
