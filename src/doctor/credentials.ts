/**
 * Doctor step: which credentials the S3 client will sign with, and where they came from. The SDK
 * records the provider that answered in `$source` (feature ids such as CREDENTIALS_ENV_VARS);
 * this step names it in words, with the key id shortened, so an operator can tell an instance
 * role from a stale profile at a glance. A failure here is the SDK finding nothing at all.
 */
import { fail, pass, type DoctorStep, type ResolvedCredentials } from './step.js';

/** SDK credential feature ids, most specific first, and what an operator calls them. */
const SOURCES: ReadonlyArray<readonly [string, string]> = [
  ['CREDENTIALS_CODE', 'credentials given in code'],
  ['CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN', 'web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)'],
  ['CREDENTIALS_STS_ASSUME_ROLE_WEB_ID', 'web identity role'],
  ['CREDENTIALS_ENV_VARS', 'environment variables (AWS_ACCESS_KEY_ID)'],
  ['CREDENTIALS_PROFILE_SSO_LEGACY', 'SSO profile (legacy)'],
  ['CREDENTIALS_PROFILE_SSO', 'SSO profile'],
  ['CREDENTIALS_SSO_LEGACY', 'SSO (legacy)'],
  ['CREDENTIALS_SSO', 'SSO'],
  ['CREDENTIALS_PROFILE_PROCESS', 'credential_process of a profile'],
  ['CREDENTIALS_PROCESS', 'credential process'],
  ['CREDENTIALS_PROFILE_SOURCE_PROFILE', 'profile assuming a role from another profile'],
  ['CREDENTIALS_PROFILE_NAMED_PROVIDER', 'profile assuming a role from a named source'],
  ['CREDENTIALS_STS_ASSUME_ROLE', 'assumed role'],
  ['CREDENTIALS_PROFILE', 'shared config/credentials file'],
  ['CREDENTIALS_HTTP', 'container credentials endpoint (ECS/EKS)'],
  ['CREDENTIALS_IMDS', 'EC2 instance metadata (instance role)'],
];

/** The provider named in words (plus the profile in use, when one is), or "unknown provider". */
export function describeSource(creds: ResolvedCredentials, profile: string | undefined): string {
  const ids = Object.keys(creds.$source ?? {});
  const found = SOURCES.find(([id]) => ids.includes(id));
  const name = found === undefined ? 'an unknown provider' : found[1];
  return profile !== undefined && ids.some((id) => id.startsWith('CREDENTIALS_PROFILE')) ? `${name}, profile "${profile}"` : name;
}

/** An access key id shortened to its kind and last four characters (never the secret). */
export function maskKeyId(id: string): string {
  return id.length <= 8 ? '…' : `${id.slice(0, 4)}…${id.slice(-4)}`;
}

export const credentialsStep: DoctorStep = {
  id: 'credentials',
  title: 'AWS credentials',
  async run(ctx) {
    let creds: ResolvedCredentials;
    try {
      creds = await ctx.credentials();
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      return fail(
        `no credentials found: ${why}`,
        'set s3.profile (or AWS_PROFILE) to a profile in the service user\'s ~/.aws files, or give the service AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or attach an instance role',
      );
    }
    const profile = ctx.awsProfile ?? undefined;
    const temporary = creds.sessionToken === undefined ? '' : ', temporary (session token)';
    const expires = creds.expiration === undefined ? '' : `, expires ${creds.expiration.toISOString()}`;
    return pass(`${describeSource(creds, profile)}: key ${maskKeyId(creds.accessKeyId)}${temporary}${expires}`);
  },
};
