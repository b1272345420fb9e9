import { expect } from 'chai';
import { credentialsStep, describeSource, maskKeyId } from '../../../src/doctor/credentials.js';
import type { ResolvedCredentials } from '../../../src/doctor/step.js';
import { config, context } from './helpers.js';

const creds = (source: Record<string, string> | undefined, extra: Partial<ResolvedCredentials> = {}): ResolvedCredentials => ({
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  ...(source === undefined ? {} : { $source: source }),
  ...extra,
});

describe('doctor/credentials', () => {
  it('names the provider that answered and shows the key id shortened, never the secret', async () => {
    const r = await credentialsStep.run(context());
    expect(r).to.deep.equal({ status: 'pass', detail: 'environment variables (AWS_ACCESS_KEY_ID): key AKIA…MPLE' });
    expect(JSON.stringify(r)).not.to.include('never-shown');
  });

  it('names the profile when a shared-file profile answered', () => {
    expect(describeSource(creds({ CREDENTIALS_PROFILE: 'n' }), 'fleet')).to.equal('shared config/credentials file, profile "fleet"');
    expect(describeSource(creds({ CREDENTIALS_PROFILE_SSO: 'r', CREDENTIALS_PROFILE: 'n', CREDENTIALS_SSO: 's' }), 'sso')).to.equal('SSO profile, profile "sso"');
    expect(describeSource(creds({ CREDENTIALS_ENV_VARS: 'g' }), 'fleet'), 'a profile that did not answer is not named').to.equal('environment variables (AWS_ACCESS_KEY_ID)');
  });

  it('tells an instance role, a container role and an unknown provider apart', () => {
    expect(describeSource(creds({ CREDENTIALS_IMDS: '0' }), undefined)).to.equal('EC2 instance metadata (instance role)');
    expect(describeSource(creds({ CREDENTIALS_HTTP: 'z' }), undefined)).to.equal('container credentials endpoint (ECS/EKS)');
    expect(describeSource(creds(undefined), undefined)).to.equal('an unknown provider');
  });

  it('says when credentials are temporary and when they expire', async () => {
    const expiration = new Date('2026-12-07T11:00:00Z');
    const r = await credentialsStep.run(context({ credentials: async () => creds({ CREDENTIALS_IMDS: '0' }, { sessionToken: 't', expiration }) }));
    expect(r.detail).to.equal('EC2 instance metadata (instance role): key AKIA…MPLE, temporary (session token), expires 2026-12-07T11:00:00.000Z');
  });

  it('uses the profile the context names (s3.profile or AWS_PROFILE)', async () => {
    const r = await credentialsStep.run(context({ config: config(), awsProfile: 'fleet', credentials: async () => creds({ CREDENTIALS_PROFILE: 'n' }) }));
    expect(r.detail).to.match(/^shared config\/credentials file, profile "fleet": key/);
  });

  it('fails with where to put credentials when the chain finds none', async () => {
    const r = await credentialsStep.run(context({ credentials: () => Promise.reject(new Error('Could not load credentials from any providers\nmore')) }));
    expect(r.status).to.equal('fail');
    expect(r.detail).to.equal('no credentials found: Could not load credentials from any providers');
    expect(r.fix).to.include('s3.profile');
    const odd = await credentialsStep.run(context({ credentials: () => Promise.reject('nothing') }));
    expect(odd.detail).to.equal('no credentials found: nothing');
  });

  it('masks short key ids completely', () => {
    expect(maskKeyId('S3RVER')).to.equal('…');
    expect(maskKeyId('ASIAXXXXXXXXXXXXWXYZ')).to.equal('ASIA…WXYZ');
  });
});
