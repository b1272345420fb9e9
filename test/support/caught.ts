/**
 * The one way tests take hold of an expected failure: `caught(promise)` awaits its rejection,
 * `caught(() => call())` returns what the call throws (or, when it returns a promise, awaits that
 * promise's rejection). The test fails when nothing failed or the error is not a `type` —
 * TvmError unless another class is given (ConfigError, CompressFailure …).
 */
import { expect } from 'chai';
import { TvmError } from '../../src/errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass<E> = abstract new (...args: any[]) => E;

/** A call that throws gives its error; one that returns a promise gives the awaited rejection. */
type Outcome<R, E> = [R] extends [never] ? E : [R] extends [PromiseLike<unknown>] ? Promise<E> : E;

export function caught<R, E = TvmError>(action: () => R, type?: ErrorClass<E>): Outcome<R, E>;
export function caught<E = TvmError>(action: unknown, type?: ErrorClass<E>): Promise<E>;
export function caught<E>(action: unknown, type: ErrorClass<E> = TvmError as unknown as ErrorClass<E>): E | Promise<E> {
  if (typeof action !== 'function') return rejectionOf(action, type);
  let result: unknown;
  try {
    result = action();
  } catch (err) {
    return checked(err, type);
  }
  if (isThenable(result)) return rejectionOf(result, type);
  return expect.fail(`expected a ${type.name}, but nothing failed`);
}

async function rejectionOf<E>(p: unknown, type: ErrorClass<E>): Promise<E> {
  try {
    await p;
  } catch (err) {
    return checked(err, type);
  }
  return expect.fail(`expected a ${type.name}, but nothing failed`);
}

function checked<E>(err: unknown, type: ErrorClass<E>): E {
  expect(err).to.be.instanceOf(type);
  return err as E;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | null)?.then === 'function';
}
