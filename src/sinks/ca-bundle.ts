/**
 * AWS_CA_BUNDLE is honoured by the AWS CLI and botocore but not by the JS SDK; vehicles behind a
 * TLS-inspecting proxy rely on it, so both SDK clients (S3, CloudWatch) load it into their HTTPS
 * agents through this one function.
 */
import { readFileSync } from 'node:fs';
import { ErrorCodes, TvmError } from '../errors.js';

export function readCaBundle(env: NodeJS.ProcessEnv): Buffer | undefined {
  const path = env.AWS_CA_BUNDLE?.trim();
  if (path === undefined || path === '') return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TvmError(ErrorCodes.CONFIG_INVALID, `AWS_CA_BUNDLE points to ${path}, which cannot be read`, {
      cause: err,
      retriability: 'permanent',
      details: { path },
      hint: 'fix or unset the AWS_CA_BUNDLE environment variable',
    });
  }
}
