/**
 * `Channels__{id}__webhookUrl` and `Channels__{id}__webhookSecret`: validated at start-up with the
 * setting's name, both or neither, https except to a loopback host, and the secret never in a
 * message, a JSON rendering or an inspected configuration.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { ConfigurationError, readConfig } from '../../shared/core/config/settings';
import { WebhookSecret } from '../../shared/core/config/webhook-secret';
import { configView } from '../../shared/core/use-cases/config-view';

const minimal = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  CosmosDb__endpoint: 'https://127.0.0.1:8081',
  Channels__S1__functionalityProfile: 'P',
  FunctionalityProfiles__P__createCustomerInAsyncMode: 'true',
};

const secretOf = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The same key with a padding bit set: Node decodes it, a strict decoder refuses it. */
function nonCanonical(encoded: string): string {
  const last = encoded.length - 2; // 32 bytes: "...X=", X's two low bits are padding
  return encoded.slice(0, last) + BASE64[BASE64.indexOf(encoded[last]) ^ 1] + encoded.slice(last + 1);
}

/** The configuration problems readConfig reports for these settings (none: []). */
function problems(env: Record<string, string>): string {
  try {
    readConfig({ ...minimal, ...env });
    return '';
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
}

describe('webhook settings', () => {
  test('a channel without webhook settings has no webhook; with both it has the URL and the secret', () => {
    expect(readConfig(minimal).channels.get('S1')?.webhook).toBeUndefined();
    const secret = secretOf(32);
    const channel = readConfig({
      ...minimal,
      Channels__S1__webhookUrl: 'https://hooks.example.com/commerce',
      Channels__S1__webhookSecret: secret,
    }).channels.get('S1');
    expect(channel?.webhook?.url).toBe('https://hooks.example.com/commerce');
    expect(channel?.webhook?.secret.key()).toEqual(Buffer.from(secret.slice('whsec_'.length), 'base64'));
  });

  test('https anywhere; http only to 127.0.0.1, ::1 or localhost', () => {
    const secret = secretOf(24);
    for (const url of ['https://hooks.example.com/x', 'http://127.0.0.1:8080/hook', 'http://[::1]:9000/', 'http://localhost/hook', 'https://10.0.0.5/hook']) {
      expect({ url, problems: problems({ Channels__S1__webhookUrl: url, Channels__S1__webhookSecret: secret }) }).toEqual({ url, problems: '' });
    }
    for (const url of [
      'http://hooks.example.com/x',
      'http://10.0.0.5/hook',
      'http://127.0.0.2/hook',
      'ftp://localhost/x',
      'hooks.example.com/x',
      '/relative',
    ]) {
      const message = problems({ Channels__S1__webhookUrl: url, Channels__S1__webhookSecret: secret });
      expect({ url, message }).toEqual({ url, message: expect.stringContaining('Channels__S1__webhookUrl:') });
    }
  });

  test('a URL with credentials is refused without repeating them', () => {
    const message = problems({ Channels__S1__webhookUrl: 'https://user:hunter22@hooks.example.com/x', Channels__S1__webhookSecret: secretOf(32) });
    expect(message).toContain('Channels__S1__webhookUrl: must not carry credentials');
    expect(message).not.toContain('hunter22');
  });

  test('a URL without a secret, or a secret without a URL, is an error naming the missing setting', () => {
    expect(problems({ Channels__S1__webhookUrl: 'https://hooks.example.com/x' })).toContain('Channels__S1__webhookSecret: missing');
    const secret = secretOf(32);
    const message = problems({ Channels__S1__webhookSecret: secret });
    expect(message).toContain('Channels__S1__webhookUrl: missing');
    expect(message).not.toContain(secret.slice(6));
  });

  test('a secret that is not whsec_ + canonical base64 of 24 to 64 bytes is refused, and never repeated in the message', () => {
    const bad = [
      randomBytes(32).toString('base64'), // no prefix
      `whsec_${randomBytes(23).toString('base64')}`, // too short
      `whsec_${randomBytes(65).toString('base64')}`, // too long
      `whsec_${randomBytes(32).toString('base64url')}x!`, // not base64
      `whsec_${nonCanonical(randomBytes(32).toString('base64'))}`, // decodes, but to what other verifiers may not agree on
    ];
    for (const value of bad) {
      const message = problems({ Channels__S1__webhookUrl: 'https://hooks.example.com/x', Channels__S1__webhookSecret: value });
      expect(message).toContain('Channels__S1__webhookSecret: not a Standard Webhooks secret');
      expect(message).not.toContain(value);
      expect(message).not.toContain(value.slice(6, 20));
    }
  });

  test('every accepted secret round-trips to its key, and no rendering of the configuration shows it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 64 }), (bytes) => {
        const value = `whsec_${Buffer.from(bytes).toString('base64')}`;
        const config = readConfig({ ...minimal, Channels__S1__webhookUrl: 'https://hooks.example.com/x', Channels__S1__webhookSecret: value });
        const webhook = config.channels.get('S1')!.webhook!;
        expect(webhook.secret.key()).toEqual(Buffer.from(bytes));
        const encoded = value.slice(6);
        for (const rendering of [
          JSON.stringify(configView(config)),
          JSON.stringify([...config.channels.values()]),
          inspect(config, { depth: 10 }),
          String(webhook.secret),
        ]) {
          expect(rendering).not.toContain(encoded);
        }
        expect(configView(config).channels[0].webhook).toEqual({ url: 'https://hooks.example.com/x', secretConfigured: true });
      }),
      { numRuns: 100 },
    );
  });

  test('the key handed out is a copy: changing it does not change the secret', () => {
    const secret = WebhookSecret.parse(secretOf(32))!;
    const key = secret.key();
    key.fill(0);
    expect(secret.key().equals(key)).toBe(false);
  });
});
